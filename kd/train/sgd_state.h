// SGD momentum buffers in and out of a checkpoint, by parameter name, so a
// resumed run continues with the optimiser state an unbroken one has.
#ifndef KD_TRAIN_SGD_STATE_H_
#define KD_TRAIN_SGD_STATE_H_

#include <torch/nn/module.h>
#include <torch/optim/sgd.h>

#include <string>

#include "absl/status/status.h"
#include "backbones/state_dict.h"

namespace kd {

// Momentum buffers of `optimizer` for the parameters of `module`, stored as
// "<prefix><parameter name>"; parameters without state are skipped.
void AddSgdState(const torch::optim::SGD& optimizer,
                 const torch::nn::Module& module, const std::string& prefix,
                 TensorMap* out);
// Restores them (parameters without an entry get no state, as in a fresh
// optimiser). Mis-shaped entries are an error naming them and `source`.
absl::Status LoadSgdState(const TensorMap& in, const std::string& prefix,
                          const std::string& source,
                          const torch::nn::Module& module,
                          torch::optim::SGD* optimizer);

}  // namespace kd

#endif  // KD_TRAIN_SGD_STATE_H_
