// LossSet: the weighted sum of the losses of one run, e.g.
//   --loss=ce:weight=1 --loss=ega:node=0.8,edge=0.24
// built from spec strings, computed in one call, every term reported by name.
//
// A LossSet is itself a torch::nn::Module whose submodules are its losses
// (registered under the loss name: "ce", "ega", "crd", ...; a name used twice
// gets a suffix: "fitnet", "fitnet_2"). So the trainer gets every trainable
// parameter of every loss (regressors, embedding heads) with `parameters()`,
// and checkpoints every loss's state (CRD's memory banks and normalising
// constants) with `named_parameters()` / `named_buffers()` or torch::save of
// the LossSet -- one interface, no special case per loss.
//
// Usage (trainer):
//   KD_ASSIGN_OR_RETURN(std::shared_ptr<LossSet> losses,
//                       LossSet::Create(FLAGS_loss, context));
//   optimizer params += losses->parameters();      // may be empty
//   ...
//   losses->train();  // CRD updates its memory banks only in training mode
//   KD_ASSIGN_OR_RETURN(LossSetValue value, losses->Compute(inputs));
//   value.total.backward();
//   for (const auto& [name, v] : value.terms) log(name, v.item<double>());
#ifndef LOSSES_LOSS_SET_H_
#define LOSSES_LOSS_SET_H_

#include <torch/nn/module.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "losses/loss.h"

namespace kd {

// The result of LossSet::Compute.
struct LossSetValue {
  // sum_i weight_i * loss_i.total: a scalar to call backward() on.
  torch::Tensor total;
  // Every loss's unweighted total under its name ("ce", "ega"), each followed
  // by its parts as "<name>/<term>" ("ega/node", "ega/edge"), in spec order.
  // Scalars, detached from the graph (for logging).
  std::vector<std::pair<std::string, torch::Tensor>> terms;
  // When Compute was given `gradients_at`: the norm of the gradient of the
  // total ("grad/total") and of every term ("grad/<term>") with respect to
  // it, 0 for a term that does not depend on it.
  std::vector<std::pair<std::string, double>> gradient_norms;
};

// One loss of the set, as created from its spec.
struct WeightedLoss {
  std::string name;   // unique within the set: "ega", or "fitnet_2"
  std::string spec;   // the spec it was created from, without weight=
  double weight = 1;  // its factor in LossSetValue::total
  std::shared_ptr<Loss> loss;
};

class LossSet : public torch::nn::Module {
 public:
  // Creates the losses of `specs`. Each spec is "name[:key=value,...]" naming
  // a registered loss and its options, plus an optional `weight=W` (default
  // 1, must be finite); one string may hold several specs separated by ';'
  // ("ce:weight=0.1;kd:weight=0.9,T=4"). Errors (unknown loss, bad option,
  // no spec at all, a loss that cannot be built from `context`) name the spec.
  static absl::StatusOr<std::shared_ptr<LossSet>> Create(
      const std::vector<std::string>& specs, const LossContext& context);

  // Computes every loss on `inputs`. A loss's own error (a missing input,
  // a wrong shape) is returned with the loss's name prefixed; a term that is
  // not finite (NaN/inf) is INVALID_ARGUMENT naming the loss and the term.
  // With `gradients_at` defined (a tensor the inputs derive from, e.g. the
  // student's embedding) it also measures each term's gradient there (a
  // study of which term drives the student; costs a backward pass through
  // the losses per term).
  absl::StatusOr<LossSetValue> Compute(const LossInputs& inputs,
                                       const torch::Tensor& gradients_at = {});

  const std::vector<WeightedLoss>& losses() const { return losses_; }

  // What some loss of the set reads (the union of their contracts).
  LossInputSet reads() const;

  // OK if `available` holds every input some loss reads; else
  // INVALID_ARGUMENT naming the first loss and what it misses, with `why`
  // (what the run lacks, e.g. "teacher 'torchscript:clip.pt' gives pooled
  // features only") appended.
  absl::Status CheckInputs(const LossInputSet& available,
                           absl::string_view why) const;

  // "0.5 * ce + 1 * ega:node=0.8,edge=0.24": weights and specs, for logs.
  std::string Describe() const;

  // Every registered loss, its doc line and options, plus the `weight`
  // option every spec accepts: for --help.
  static std::string Help();

 private:
  LossSet() = default;
  std::vector<WeightedLoss> losses_;
};

}  // namespace kd

#endif  // LOSSES_LOSS_SET_H_
