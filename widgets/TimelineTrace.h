#pragma once

#include <QImage>
#include <QVector>

#include <vector>

/// \brief One traced diffusion step of one pipeline, as the worker reports it.
struct TimelineStep {
  int timestep = 0;            ///< Diffusion timestep t of this step (counts down).
  QImage x_t;                  ///< Decoded or channel-mapped preview of the noisy latent.
  QImage pred_xstart;          ///< Preview of the predicted clean sample x̂0.
  double latent_norm = 0.0;    ///< L2 norm of x_t.
  double mode_distance = 0.0;  ///< L2 distance from x̂0 to the sample's mode latent.
  double guidance_norm = 0.0;  ///< L2 norm of the mode-guidance term added at this step; 0 after the stop step.
};

/// \brief The whole trace of one pipeline, in sampling order (first denoising step first).
struct TimelineTrace {
  std::vector<TimelineStep> steps;
};
