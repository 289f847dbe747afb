#include "core/data/prompts.h"

#include "core/runtime/error.h"

namespace evlf::data {

std::string build_prompt(const std::string& prompt_template, const std::string& class_name) {
  std::string prompt;
  bool replaced = false;
  std::size_t position = 0;
  while (position < prompt_template.size()) {
    if (prompt_template.compare(position, 2, "{}") == 0) {
      prompt += class_name;
      position += 2;
      replaced = true;
    } else if (prompt_template.compare(position, 7, "{class}") == 0) {
      prompt += class_name;
      position += 7;
      replaced = true;
    } else {
      prompt += prompt_template[position++];
    }
  }
  if (!replaced) {
    throw Error("prompt template '" + prompt_template + "' has no placeholder; write {} where the class name goes");
  }
  return prompt;
}

std::vector<std::string> build_prompts(const std::string& prompt_template, const std::vector<std::string>& class_names) {
  std::vector<std::string> prompts;
  prompts.reserve(class_names.size());
  for (const auto& name : class_names) prompts.push_back(build_prompt(prompt_template, name));
  return prompts;
}

}  // namespace evlf::data
