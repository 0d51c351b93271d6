# hakmem_bpf_skeleton(<target> <source.bpf.c> [DEPENDS headers...])
#
# Compiles an eBPF program with clang -target bpf and generates its libbpf skeleton with
# `bpftool gen skeleton`, then defines <target>: an INTERFACE library whose users include
# "<stem>.skel.h" (stem: the source's name without .bpf.c) and link libbpf. The skeleton
# embeds the object, so nothing but libbpf is needed at run time.
#
# Needs clang, bpftool and libbpf (Debian: clang, bpftool, libbpf-dev, whose pkg-config file
# brings libelf and zlib): hakmem_bpf_find_tools() says which is missing and how to get it.

function(hakmem_bpf_find_tools out_ok out_missing)
  find_program(HAKMEM_BPF_CLANG NAMES clang clang-14)
  find_program(HAKMEM_BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin)
  find_package(PkgConfig QUIET)
  if(PkgConfig_FOUND)
    pkg_check_modules(HAKMEM_LIBBPF QUIET IMPORTED_TARGET GLOBAL libbpf>=1.0)
  endif()
  set(missing "")
  if(NOT HAKMEM_BPF_CLANG)
    list(APPEND missing clang)
  endif()
  if(NOT HAKMEM_BPFTOOL)
    list(APPEND missing bpftool)
  endif()
  if(NOT HAKMEM_LIBBPF_FOUND)
    list(APPEND missing "libbpf-dev (libbpf >= 1.0 with pkg-config)")
  endif()
  if(missing)
    set(${out_ok} FALSE PARENT_SCOPE)
  else()
    set(${out_ok} TRUE PARENT_SCOPE)
  endif()
  set(${out_missing} "${missing}" PARENT_SCOPE)
endfunction()

function(hakmem_bpf_skeleton target source)
  cmake_parse_arguments(ARG "" "" "DEPENDS" ${ARGN})
  get_filename_component(src ${source} ABSOLUTE)
  get_filename_component(name ${src} NAME)
  string(REGEX REPLACE "\\.bpf\\.c$" "" stem ${name})
  set(obj ${CMAKE_CURRENT_BINARY_DIR}/${stem}.bpf.o)
  set(skel ${CMAKE_CURRENT_BINARY_DIR}/${stem}.skel.h)

  # The kernel's uapi headers (linux/bpf.h) come from linux-libc-dev; asm/ lives under the
  # multiarch directory, which clang -target bpf does not search on its own.
  set(arch_includes "")
  if(CMAKE_LIBRARY_ARCHITECTURE)
    list(APPEND arch_includes -I/usr/include/${CMAKE_LIBRARY_ARCHITECTURE})
  endif()
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
    set(target_arch x86)
  elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
    set(target_arch arm64)
  else()
    set(target_arch ${CMAKE_SYSTEM_PROCESSOR})
  endif()

  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${HAKMEM_BPF_CLANG} -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_${target_arch}
            ${arch_includes} -I${CMAKE_CURRENT_SOURCE_DIR} -c ${src} -o ${obj}
    DEPENDS ${src} ${ARG_DEPENDS}
    COMMENT "eBPF object ${stem}.bpf.o"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${HAKMEM_BPFTOOL} gen skeleton ${obj} name ${stem} > ${skel}.tmp
    COMMAND ${CMAKE_COMMAND} -E rename ${skel}.tmp ${skel}
    DEPENDS ${obj}
    COMMENT "eBPF skeleton ${stem}.skel.h"
    VERBATIM)
  add_custom_target(${target}_generate DEPENDS ${skel})

  add_library(${target} INTERFACE)
  add_dependencies(${target} ${target}_generate)
  target_include_directories(${target} INTERFACE ${CMAKE_CURRENT_BINARY_DIR} ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(${target} INTERFACE PkgConfig::HAKMEM_LIBBPF)
endfunction()
