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
  // Also: "cifar_grey", "imagenet_grey", "clip_grey" (one channel: the mean
  // of the three means and of the three stds), "mnist" (0.1307/0.3081) and
  // "fashion_mnist" (0.2860/0.3530), and explicit "m/s" for one value.
  static absl::StatusOr<Normalization> FromName(const std::string& name);
};

struct ViewTransform {
  int output_channels = 3;  // grey inputs are repeated to 3 channels
  int pad_to = 0;           // zero-pad (centred) to this side first; 0: no
  int crop_size = 0;        // random crop side (after padding); 0: no crop
  int crop_padding = 0;     // zero padding on each side before the crop
  bool horizontal_flip = false;
  int resize_to = 0;  // final side length; 0: keep
  ResizeMode resize_mode = ResizeMode::kBilinear;
  Normalization normalization;

  // Output side length for an input of side `input_side`.
  int OutputSide(int input_side) const;
};

// Applies `transform` to `image`, writing CHW floats into `out`
// (output_channels * side * side). Bad geometry is INVALID_ARGUMENT.
absl::Status ApplyTransform(const ViewTransform& transform, const Image& image,
                            std::mt19937_64& rng, float* out);

// Pipeline of ApplyTransform, in order:
//   1. channels: grey is repeated to 3 channels; RGB to 1 channel is ITU-R
//      BT.601 luma (0.299 R + 0.587 G + 0.114 B, PIL's convert("L") weights,
//      computed in float without PIL's integer rounding);
//   2. pad_to: centred zero padding up to pad_to x pad_to (an input larger
//      than pad_to is INVALID_ARGUMENT);
//   3. random crop: zero padding of crop_padding on every side, then a
//      crop_size square at a uniformly drawn offset (top, then left), as
//      torchvision's RandomCrop(crop_size, padding=crop_padding);
//   4. horizontal flip with probability 1/2;
//   5. scaling to [0, 1] (x / 255) and resize to resize_to x resize_to
//      (see Resize below; no clamping, bicubic may overshoot [0, 1]);
//   6. normalisation (x - mean[c]) / std[c]. A Normalization with no values
//      is the identity; one value applies to every channel.
// The result must be square: a non-square input needs crop_size or
// resize_to.

// Parses a view from a flag value such as
//   "crop=32,padding=4,flip=true,norm=cifar"        (CIFAR training view)
//   "channels=3,pad_to=32,norm=fashion_mnist"        (28x28 grey -> 3x32x32)
//   "resize=224,mode=bicubic,norm=clip"              (EGA teacher view)
// Keys: channels (1 or 3, default 3), pad_to, crop, padding, flip (bool),
// resize, mode (bilinear | bicubic), norm (a Normalization::FromName name;
// explicit values separated by ';' here, e.g. norm=0.5;0.5;0.5/0.2;0.2;0.2).
// "" is the identity view. Unknown keys and bad values are
// INVALID_ARGUMENT.
absl::StatusOr<ViewTransform> ParseViewTransform(const std::string& spec);

// Resizes planar float channels [channels, in_h, in_w] to [channels, out_h,
// out_w] exactly as torch.nn.functional.interpolate(mode="bilinear" or
// "bicubic", align_corners=False, antialias=False) does on float input:
// source coordinate (dst + 0.5) * in / out - 0.5 (clamped at 0 for bilinear),
// bicubic with Keys' a = -0.75 and edge-replicated taps.
void Resize(const float* in, int channels, int in_h, int in_w, int out_h,
            int out_w, ResizeMode mode, float* out);

// A uniform integer in [0, n) from `rng` (n > 0), the same on every platform
// (unlike std::uniform_int_distribution, whose algorithm is unspecified).
uint64_t UniformIndex(std::mt19937_64& rng, uint64_t n);

}  // namespace kd

#endif  // KD_DATA_TRANSFORMS_H_
