# Install layout and the Debian package. `cmake --install build` installs the
# executables, the embedded bundle, the desktop entry, the icon and the
# AppStream metadata; `cpack` in the build folder builds a .deb. The
# translations are compiled into evlf-studio (translations/translations.cmake),
# so there is no .qm file to install. The programs find the bundle in
# ../share/evlf-studio/models beside their folder (core/io/data_paths.h).

install(FILES "${PROJECT_SOURCE_DIR}/packaging/io.github.evlf_studio.EVLFStudio.desktop"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/applications")
install(FILES "${PROJECT_SOURCE_DIR}/packaging/io.github.evlf_studio.EVLFStudio.metainfo.xml"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/metainfo")
install(FILES "${PROJECT_SOURCE_DIR}/resources/icons/evlf-studio.svg"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps")
# Debian looks for the licence of a package in /usr/share/doc/PACKAGE/copyright.
install(FILES "${PROJECT_SOURCE_DIR}/LICENSE"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/evlf-studio" RENAME copyright)
if(EXISTS "${PROJECT_SOURCE_DIR}/resources/models")
  install(DIRECTORY "${PROJECT_SOURCE_DIR}/resources/models" DESTINATION "${EVLF_DATA_DIR}")
endif()

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "evlf-studio")
set(CPACK_PACKAGE_VENDOR "EVLF Studio developers")
set(CPACK_PACKAGE_CONTACT "EVLF Studio developers <evlf-studio@users.noreply.github.com>")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_DESCRIPTION "EVLF Studio synthesises small training sets with a latent diffusion model and \
compares late fusion of the class prompt (cross-attention in the denoiser) with Early Vision-Language \
Fusion. It contains the evlf command-line program and the evlf-studio desktop application, with an \
English and a Japanese user interface.")
# Debian ships stripped executables; the debug information stays in the build tree.
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "science")
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE "amd64")
# Runtime packages of Debian 12. dpkg-shlibdeps (SHLIBDEPS below) adds the
# libraries the executables link with their minimum versions; this list
# names what it cannot see: Qt's platform plugins, which are loaded at run
# time, and the OpenMP OpenBLAS that LibTorch should call.
set(CPACK_DEBIAN_PACKAGE_DEPENDS
  "libtorch1.13, libopencv-core406, libopencv-imgproc406, libopencv-imgcodecs406, libqt6widgets6, libqt6printsupport6, qt6-qpa-plugins, libqcustomplot2.1-qt6, libspdlog1.10, libopenblas0-openmp | libblas3, zlib1g, libicu72")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The Fashion-MNIST data of the embedded bundle, a font with Japanese glyphs
# for the Japanese interface, and Qt's translations of its standard dialogs.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "dataset-fashion-mnist, fonts-noto-cjk | fonts-ipafont-gothic, qt6-translations-l10n")
include(CPack)
