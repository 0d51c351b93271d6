# Run at install time (cmake --install, and cpack staging the hakmemd package): the files
# whose contents name installed paths, written for the prefix in effect then. The unit starts
# <prefix>/sbin/hakmemd with <etc>/hakmemd/hakmemd.json and documents itself with the README;
# Grafana's dashboards provider points at <prefix>/share/hakmem/dashboards. <etc> is /etc for
# the /usr prefix (the packages), <prefix>/etc otherwise, as GNUInstallDirs has it.
# Set before this runs (install(CODE) in HakmemPackaging.cmake): HAKMEM_SOURCE_DIR,
# HAKMEM_STAGE_DIR (a scratch directory in the build tree) and HAKMEM_SBINDIR (relative).
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(_etc /etc)
else()
  set(_etc ${CMAKE_INSTALL_PREFIX}/etc)
endif()
set(_sbin ${CMAKE_INSTALL_PREFIX}/${HAKMEM_SBINDIR})
set(_share ${CMAKE_INSTALL_PREFIX}/share)

file(READ ${HAKMEM_SOURCE_DIR}/config/hakmemd.service _unit)
string(REPLACE "/usr/sbin/hakmemd" "${_sbin}/hakmemd" _unit "${_unit}")
string(REPLACE "/etc/hakmemd/" "${_etc}/hakmemd/" _unit "${_unit}")
string(REPLACE "/usr/share/doc/hakmem/" "${_share}/doc/hakmemd/" _unit "${_unit}")
file(READ ${HAKMEM_SOURCE_DIR}/config/grafana/provisioning/dashboards/hakmem.yml _provider)
string(REPLACE "/usr/local/share/hakmem/dashboards" "${_share}/hakmem/dashboards" _provider "${_provider}")
file(MAKE_DIRECTORY ${HAKMEM_STAGE_DIR})
file(WRITE ${HAKMEM_STAGE_DIR}/hakmemd.service "${_unit}")
file(WRITE ${HAKMEM_STAGE_DIR}/hakmem.yml "${_provider}")

file(INSTALL ${HAKMEM_STAGE_DIR}/hakmemd.service DESTINATION ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
file(INSTALL ${HAKMEM_SOURCE_DIR}/config/hakmemd.json DESTINATION ${_etc}/hakmemd)
file(INSTALL ${HAKMEM_STAGE_DIR}/hakmem.yml DESTINATION ${_share}/hakmem/grafana/provisioning/dashboards)
