// evlf inspect FILE: list the tensors and metadata of a safetensors file.
#include <iostream>

#include "app/cli/commands.h"
#include "core/io/safetensors.h"

namespace evlf::cli {
namespace {

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

}  // namespace

void register_inspect(CLI::App& app, CommonOptions& common) {
  CLI::App* command = app.add_subcommand("inspect", "List the tensors (name, dtype, shape) and metadata of a safetensors file");
  auto file = std::make_shared<std::string>();
  command->add_option("FILE", *file, "Path to a .safetensors file")->required();
  command->callback([&common, file] {
    apply_common(common);
    const io::SafetensorsFile st = io::SafetensorsFile::open(*file);

    std::size_t width = 4;
    for (const auto& e : st.entries()) width = std::max(width, e.name.size());
    std::cout << st.entries().size() << " tensors in " << *file << '\n';
    for (const auto& e : st.entries()) {
      std::cout << "  " << e.name << std::string(width - e.name.size() + 2, ' ') << io::dtype_name(e.dtype)
                << std::string(6 - io::dtype_name(e.dtype).size(), ' ') << shape_text(e.shape) << '\n';
    }
    if (!st.metadata().empty()) {
      std::cout << "metadata:\n";
      for (const auto& [key, value] : st.metadata()) std::cout << "  " << key << " = " << value << '\n';
    }
  });
}

}  // namespace evlf::cli
