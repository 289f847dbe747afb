#include "widgets/AttentionMaps.h"

bool AttentionGrid::isValid() const {
  if (layers <= 0 || heads <= 0 || tokens <= 0 || height <= 0 || width <= 0) return false;
  const size_t expected = static_cast<size_t>(layers) * heads * tokens * height * width;
  return values.size() == expected;
}

std::vector<float> AttentionGrid::map(int layer, int head, int token) const {
  if (!isValid() || token < 0 || token >= tokens) return {};
  if (layer != kAverage && (layer < 0 || layer >= layers)) return {};
  if (head != kAverage && (head < 0 || head >= heads)) return {};

  const int firstLayer = layer == kAverage ? 0 : layer;
  const int lastLayer = layer == kAverage ? layers - 1 : layer;
  const int firstHead = head == kAverage ? 0 : head;
  const int lastHead = head == kAverage ? heads - 1 : head;
  const size_t cells = static_cast<size_t>(height) * width;

  std::vector<float> sum(cells, 0.0f);
  int count = 0;
  for (int l = firstLayer; l <= lastLayer; ++l) {
    for (int h = firstHead; h <= lastHead; ++h) {
      const size_t offset = ((static_cast<size_t>(l) * heads + h) * tokens + token) * cells;
      for (size_t i = 0; i < cells; ++i) sum[i] += values[offset + i];
      ++count;
    }
  }
  for (float& value : sum) value /= static_cast<float>(count);
  return sum;
}
