#include "core/data/random_real.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "core/runtime/error.h"

namespace evlf::data {

RandomRealSet draw_random_real(const LabeledImages& source, int64_t ipc, uint64_t seed) {
  if (ipc < 1) throw Error("images per class must be at least 1, got " + std::to_string(ipc));
  if (!source.images.defined() || !source.labels.defined() || source.labels.dim() != 1 ||
      source.images.size(0) != source.labels.size(0)) {
    throw Error("random-real source needs images [N, C, H, W] and labels [N] of the same length");
  }
  const int64_t classes = source.class_names.empty() ? source.labels.max().item<int64_t>() + 1
                                                     : static_cast<int64_t>(source.class_names.size());
  at::Generator generator = at::detail::createCPUGenerator(seed);

  std::vector<torch::Tensor> picked;
  for (int64_t c = 0; c < classes; ++c) {
    const torch::Tensor members = source.labels.eq(c).nonzero().flatten();  // [Nc]
    if (members.size(0) < ipc) {
      const std::string name = c < static_cast<int64_t>(source.class_names.size()) ? " (" + source.class_names[c] + ")" : "";
      throw Error("class " + std::to_string(c) + name + " has " + std::to_string(members.size(0)) +
                  " images, fewer than the " + std::to_string(ipc) + " images per class requested");
    }
    const torch::Tensor order = torch::randperm(members.size(0), generator, torch::kLong).slice(0, 0, ipc);
    picked.push_back(members.index_select(0, order));  // [IPC]
  }

  RandomRealSet set;
  set.source_indices = torch::cat(picked);                             // [K * IPC]
  set.images = source.images.index_select(0, set.source_indices);      // [K * IPC, C, H, W]
  set.labels = source.labels.index_select(0, set.source_indices).to(torch::kLong);
  set.class_names = source.class_names;
  return set;
}

}  // namespace evlf::data
