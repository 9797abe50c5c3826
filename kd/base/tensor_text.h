// Tensors in messages: one format for shapes everywhere.
#ifndef KD_BASE_TENSOR_TEXT_H_
#define KD_BASE_TENSOR_TEXT_H_

#include <torch/types.h>

#include <string>

namespace kd {

// "[64, 256]"; "undefined" for an undefined tensor.
std::string ShapeText(const torch::Tensor& tensor);

}  // namespace kd

#endif  // KD_BASE_TENSOR_TEXT_H_
