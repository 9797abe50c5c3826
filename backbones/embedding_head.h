// EmbeddingHead: EGA's node embedding layer plus the classifier on top of it,
// as in the reference code: Linear(feature_dim -> embed_dim), no activation
// and no normalisation, then Linear(embed_dim -> num_classes). The student's
// reported accuracy is that classifier's.
#ifndef BACKBONES_EMBEDDING_HEAD_H_
#define BACKBONES_EMBEDDING_HEAD_H_

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>

#include <cstdint>

namespace kd {

struct EmbeddingHeadOutput {
  torch::Tensor embedding;  // [B, embed_dim]
  torch::Tensor logits;     // [B, num_classes]
};

class EmbeddingHeadImpl : public torch::nn::Module {
 public:
  EmbeddingHeadImpl(int64_t feature_dim, int64_t embed_dim,
                    int64_t num_classes);
  EmbeddingHeadOutput Forward(const torch::Tensor& pooled);

  int64_t embed_dim() const { return embed_dim_; }

 private:
  int64_t embed_dim_;
  torch::nn::Linear embed_{nullptr};       // "embed.weight", "embed.bias"
  torch::nn::Linear classifier_{nullptr};  // "classifier.weight", ...
};
TORCH_MODULE(EmbeddingHead);

}  // namespace kd

#endif  // BACKBONES_EMBEDDING_HEAD_H_
