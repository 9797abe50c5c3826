// Checkpoint files: one flat, name-ordered dictionary of tensors per file
// (a plain pickled dict, so Python reads it with torch.load too), written
// atomically (temporary file + rename) by backbones/state_dict.h, and
// helpers that move module parameters/buffers and SGD momentum buffers in
// and out of it by name. Loading into a module of another architecture is an
// error that lists the missing, unexpected and mis-shaped tensors.
#ifndef KD_TRAIN_CHECKPOINT_H_
#define KD_TRAIN_CHECKPOINT_H_

#include <torch/nn/module.h>
#include <torch/optim/sgd.h>
#include <torch/types.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace kd {

using TensorMap = std::map<std::string, torch::Tensor>;

// Writes `tensors` (moved to CPU) to `path` via `path`.tmp and rename(2), so
// a reader never sees a half-written file.
absl::Status SaveTensorMap(const std::string& path, const TensorMap& tensors);
// Reads a file written by SaveTensorMap (or Python's torch.save of a plain
// dict of tensors). Errors name the file.
absl::StatusOr<TensorMap> LoadTensorMap(const std::string& path);

// Adds every parameter and buffer of `module` as "<prefix><name>".
void AddModuleState(const torch::nn::Module& module, const std::string& prefix,
                    TensorMap* out);

// Copies "<prefix><name>" entries into `module`'s parameters and buffers
// (backbones' LoadStateDict on the entries under `prefix`): every tensor of
// the module must be present with its shape, and no other "<prefix>..."
// entry may exist; otherwise nothing is copied and the error (naming
// `source` and `prefix`) lists the missing, unexpected and mis-shaped
// tensors.
absl::Status LoadModuleState(const TensorMap& in, const std::string& prefix,
                             const std::string& source,
                             torch::nn::Module* module);

// Momentum buffers of `optimizer` for the parameters of `module`, stored as
// "<prefix><parameter name>"; parameters without state are skipped.
void AddSgdState(const torch::optim::SGD& optimizer,
                 const torch::nn::Module& module, const std::string& prefix,
                 TensorMap* out);
// Restores them (parameters without an entry get no state, as in a fresh
// optimiser). Mis-shaped entries are an error naming them.
absl::Status LoadSgdState(const TensorMap& in, const std::string& prefix,
                          const std::string& source,
                          const torch::nn::Module& module,
                          torch::optim::SGD* optimizer);

}  // namespace kd

#endif  // KD_TRAIN_CHECKPOINT_H_
