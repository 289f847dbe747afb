#include "widgets/SamplingParameters.h"

#include <sstream>

std::string SamplingParameters::to_string() const {
  std::ostringstream out;
  out << "fusion_weight=" << fusion_weight << " cfg_scale=" << cfg_scale << " mode_guidance=" << mode_guidance
      << " stop_t=" << stop_t << " steps=" << steps << " sampler=" << (sampler == Sampler::Ddpm ? "ddpm" : "ddim")
      << " seed=" << seed << " ipc=" << ipc;
  return out.str();
}

bool SamplingParameters::operator==(const SamplingParameters& other) const {
  return fusion_weight == other.fusion_weight && cfg_scale == other.cfg_scale &&
         mode_guidance == other.mode_guidance && stop_t == other.stop_t && steps == other.steps &&
         sampler == other.sampler && seed == other.seed && ipc == other.ipc;
}
