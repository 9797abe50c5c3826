// Augmentation and normalisation of one view of an image: random crop with
// padding, horizontal flip, resize (bilinear/bicubic), grey->RGB, and
// normalisation with named presets ("cifar", "imagenet", "clip") or explicit
// values. A ViewTransform is a value type; its randomness comes from the
// generator passed to Apply, so the loader controls determinism.
#ifndef KD_DATA_TRANSFORMS_H_
#define KD_DATA_TRANSFORMS_H_

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "kd/data/dataset.h"

namespace kd {

enum class ResizeMode { kBilinear, kBicubic };

struct Normalization {
  std::vector<float> mean;  // one per output channel
  std::vector<float> std;
  // "cifar", "imagenet", "clip", "none", or "m0,m1,m2/s0,s1,s2".
  static absl::StatusOr<Normalization> FromName(const std::string& name);
};

struct ViewTransform {
  int output_channels = 3;     // grey inputs are repeated to 3 channels
  int pad_to = 0;              // zero-pad (centred) to this side first; 0: no
  int crop_size = 0;           // random crop side (after padding); 0: no crop
  int crop_padding = 0;        // zero padding on each side before the crop
  bool horizontal_flip = false;
  int resize_to = 0;           // final side length; 0: keep
  ResizeMode resize_mode = ResizeMode::kBilinear;
  Normalization normalization;

  // Output side length for an input of side `input_side`.
  int OutputSide(int input_side) const;
};

// Applies `transform` to `image`, writing CHW floats into `out`
// (output_channels * side * side). Bad geometry is INVALID_ARGUMENT.
absl::Status ApplyTransform(const ViewTransform& transform, const Image& image,
                            std::mt19937_64& rng, float* out);

}  // namespace kd

#endif  // KD_DATA_TRANSFORMS_H_
