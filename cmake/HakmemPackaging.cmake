# What operators install (README "Packages"): `cpack -G DEB` in a release build directory
# makes two Debian packages from the install rules' components.
#   hakmem   (component library): libhakmem.so/.a, include/hakmem/*.h, hakmem.pc
#   hakmemd  (component daemon):  hakmemd, hakmemctl, the systemd unit, /etc/hakmemd/hakmemd.json
#            (a conffile: dpkg keeps an operator's edits on upgrade), and under
#            /usr/share/hakmem the dashboards, the Prometheus config and rules, Grafana's
#            provisioning and the profiles.
# Each carries the licence as /usr/share/doc/<package>/copyright. Dependencies come from
# dpkg-shlibdeps. The postinst only tells a running systemd about the unit; enabling it is
# the operator's choice (README "Packages").
set(_pkg ${PROJECT_BINARY_DIR}/packaging)

install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/hakmem
        RENAME copyright COMPONENT library)
if(HAKMEM_BUILD_DAEMON)
  install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/hakmemd
          RENAME copyright COMPONENT daemon)
  install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/hakmemd
          COMPONENT daemon)
  install(CODE "set(HAKMEM_SOURCE_DIR \"${PROJECT_SOURCE_DIR}\")
set(HAKMEM_STAGE_DIR \"${_pkg}/stage\")
set(HAKMEM_SBINDIR \"${CMAKE_INSTALL_SBINDIR}\")" COMPONENT daemon)
  install(SCRIPT ${PROJECT_SOURCE_DIR}/cmake/HakmemInstallConfig.cmake COMPONENT daemon)
  file(WRITE ${_pkg}/conffiles "/etc/hakmemd/hakmemd.json\n")
  file(WRITE ${_pkg}/postinst "#!/bin/sh\nset -e\n"
       "if [ \"$1\" = configure ] && [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi\n")
  file(CHMOD ${_pkg}/postinst PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
       GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  file(COPY_FILE ${_pkg}/postinst ${_pkg}/postrm)
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME hakmem)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "The HAKMEM authors")
set(CPACK_PACKAGE_CONTACT "The HAKMEM authors <hakmem@localhost>")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL library)
if(HAKMEM_BUILD_DAEMON)
  list(APPEND CPACK_COMPONENTS_ALL daemon)
endif()
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/hakmem/hakmem")
set(CPACK_DEBIAN_LIBRARY_PACKAGE_NAME hakmem)
set(CPACK_DEBIAN_LIBRARY_PACKAGE_SECTION libs)
# shlibs for packages built against it, and the ldconfig trigger for /usr/lib.
set(CPACK_DEBIAN_LIBRARY_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_COMPONENT_LIBRARY_DESCRIPTION
    "HAKMEM, an instrumented malloc replacement\n Load it with LD_PRELOAD=libhakmem.so.0 or link libhakmem.a: per-class refill\n paths, lock statistics and SuperSlab occupancy, published in shared memory.")
set(CPACK_DEBIAN_DAEMON_PACKAGE_NAME hakmemd)
set(CPACK_DEBIAN_DAEMON_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_DAEMON_PACKAGE_SUGGESTS "prometheus, hakmem")
set(CPACK_DEBIAN_DAEMON_PACKAGE_CONTROL_EXTRA "${_pkg}/conffiles;${_pkg}/postinst;${_pkg}/postrm")
set(CPACK_COMPONENT_DAEMON_DESCRIPTION
    "Prometheus exporter and terminal view of HAKMEM processes\n hakmemd serves every live HAKMEM process's telemetry (and eBPF counts of its\n memory syscalls) as Prometheus metrics; hakmemctl reads the same segments.\n Ships the systemd unit, Grafana dashboards, Prometheus rules and profiles.")
include(CPack)
