# Installs portrait3d for use from other CMake projects:
#   <prefix>/lib/libportrait3d*.a               the engine, the importer, the stages
#   <prefix>/include/portrait3d/{kernels,engine,importer,pipeline}/*.h
#   <prefix>/lib/cmake/portrait3d/              portrait3dConfig.cmake and the targets
# Consumers: find_package(portrait3d REQUIRED) then link portrait3d::portrait3d (everything,
# the C++ API of pipeline/reconstructor.h included; portrait3d::engine, ::importer and
# ::pipeline are the parts). examples/ is such a consumer.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set_target_properties(p3d_flags PROPERTIES EXPORT_NAME flags)
set_target_properties(portrait3d PROPERTIES EXPORT_NAME engine)
set_target_properties(portrait3d_importer PROPERTIES EXPORT_NAME importer)
set_target_properties(portrait3d_pipeline PROPERTIES EXPORT_NAME pipeline)
install(TARGETS p3d_flags portrait3d portrait3d_importer portrait3d_pipeline
        EXPORT portrait3dTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
foreach(dir kernels kernels/cpu kernels/cuda engine engine/cuda importer pipeline)
  file(GLOB headers ${PROJECT_SOURCE_DIR}/${dir}/*.h)
  install(FILES ${headers} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/portrait3d/${dir})
endforeach()
install(FILES ${PROJECT_BINARY_DIR}/importer/generated/importer/tensorflow_graph.pb.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/portrait3d/importer)

# One name for consumers: portrait3d::portrait3d = the stage library and what it needs.
add_library(portrait3d_all INTERFACE)
target_link_libraries(portrait3d_all INTERFACE portrait3d_pipeline)
set_target_properties(portrait3d_all PROPERTIES EXPORT_NAME portrait3d)
install(TARGETS portrait3d_all EXPORT portrait3dTargets)

install(EXPORT portrait3dTargets NAMESPACE portrait3d::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/portrait3d)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/portrait3dConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/portrait3dConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/portrait3d)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/portrait3dConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/portrait3dConfig.cmake
              ${PROJECT_BINARY_DIR}/portrait3dConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/portrait3d)
