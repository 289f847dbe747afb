# Install layout and the Debian package. `cmake --install build` installs the
# executables, translations, the embedded bundle, the desktop entry, the icon
# and the AppStream metadata; `cpack` in the build folder builds a .deb.

install(FILES "${PROJECT_SOURCE_DIR}/packaging/io.github.evlf_studio.EVLFStudio.desktop"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/applications")
install(FILES "${PROJECT_SOURCE_DIR}/packaging/io.github.evlf_studio.EVLFStudio.metainfo.xml"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/metainfo")
install(FILES "${PROJECT_SOURCE_DIR}/resources/icons/evlf-studio.svg"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps")
if(EXISTS "${PROJECT_SOURCE_DIR}/resources/models")
  install(DIRECTORY "${PROJECT_SOURCE_DIR}/resources/models" DESTINATION "${EVLF_DATA_DIR}")
endif()

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "evlf-studio")
set(CPACK_PACKAGE_VENDOR "EVLF Studio developers")
set(CPACK_PACKAGE_CONTACT "EVLF Studio developers <evlf-studio@users.noreply.github.com>")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "science")
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE "amd64")
# Runtime libraries of Debian 12; the shared-library scan below adds exact
# versions when dpkg-shlibdeps is available.
set(CPACK_DEBIAN_PACKAGE_DEPENDS
  "libtorch1.13, libopencv-core406, libopencv-imgproc406, libopencv-imgcodecs406, libqt6widgets6, libqt6printsupport6, libqcustomplot2.1-qt6, libspdlog1.10, libopenblas0-openmp | libblas3, zlib1g, libicu72")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "dataset-fashion-mnist")
include(CPack)
