#include "backbones/embedding_head.h"

#include <torch/nn/modules/linear.h>

namespace kd {

EmbeddingHeadImpl::EmbeddingHeadImpl(int64_t feature_dim, int64_t embed_dim,
                                     int64_t num_classes)
    : embed_dim_(embed_dim) {
  TORCH_CHECK(feature_dim > 0 && embed_dim > 0 && num_classes > 0,
              "EmbeddingHead: feature_dim, embed_dim and num_classes must be "
              "positive, got ",
              feature_dim, ", ", embed_dim, ", ", num_classes);
  // PyTorch's default Linear initialisation (kaiming_uniform(a=sqrt(5)),
  // bias U(+-1/sqrt(fan_in))), as the reference's nn.Linear layers.
  embed_ = register_module("embed", torch::nn::Linear(feature_dim, embed_dim));
  classifier_ =
      register_module("classifier", torch::nn::Linear(embed_dim, num_classes));
}

EmbeddingHeadOutput EmbeddingHeadImpl::Forward(const torch::Tensor& pooled) {
  TORCH_CHECK(
      pooled.dim() == 2 && pooled.size(1) == embed_->options.in_features(),
      "EmbeddingHead: expected pooled features [B, ",
      embed_->options.in_features(), "], got ", pooled.sizes());
  EmbeddingHeadOutput out;
  out.embedding = embed_(pooled);
  out.logits = classifier_(out.embedding);
  return out;
}

}  // namespace kd
