#include "core/io/atomic_file.h"

#include <unistd.h>

#include <atomic>
#include <fstream>

#include "core/runtime/error.h"

namespace evlf::io {
namespace fs = std::filesystem;

fs::path temporary_sibling(const fs::path& path) {
  static std::atomic<unsigned> counter{0};
  const std::string name = "." + path.filename().string() + ".tmp-" +
                           std::to_string(::getpid()) + "-" + std::to_string(counter++);
  return path.parent_path() / name;
}

void write_file_atomically(const fs::path& path, const std::function<void(std::ostream&)>& write) {
  const fs::path folder = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  if (!fs::is_directory(folder)) {
    throw Error("cannot write '" + path.string() + "': folder '" + folder.string() +
                "' does not exist; create it first");
  }
  const fs::path temporary = temporary_sibling(path);
  try {
    {
      std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
      if (!out) {
        throw Error("cannot write '" + path.string() + "': folder '" + folder.string() +
                    "' is not writable; choose another output location");
      }
      write(out);
      out.flush();
      if (!out) throw Error("failed to write '" + path.string() + "' (disk full?)");
    }
    fs::rename(temporary, path);
  } catch (...) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw;
  }
}

void write_text_atomically(const fs::path& path, const std::string& text) {
  write_file_atomically(path, [&](std::ostream& out) { out << text; });
}

}  // namespace evlf::io
