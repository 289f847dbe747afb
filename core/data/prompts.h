// Class prompts from a template such as "a photo of a {}".
#pragma once

#include <string>
#include <vector>

namespace evlf::data {

/// Replaces every "{}" (or "{class}") in `prompt_template` with the class
/// name as given. Throws evlf::Error when the
/// template has no placeholder.
std::string build_prompt(const std::string& prompt_template, const std::string& class_name);

std::vector<std::string> build_prompts(const std::string& prompt_template, const std::vector<std::string>& class_names);

}  // namespace evlf::data
