// Checks shared by the model-zoo family tests: build a registered network,
// run forward/backward, compare its state dict with the reference listing
// (testdata/reference_state_shapes.txt), count parameters.
#ifndef KD_TESTS_BACKBONES_ZOO_TEST_UTIL_H_
#define KD_TESTS_BACKBONES_ZOO_TEST_UTIL_H_

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "backbones/backbone.h"

namespace kd {
namespace testing {

// A network's parameter counts in its reference (PyTorch) definition for
// 10, 100 and 200 classes; each family test keeps a table of these with a
// comment saying where the numbers came from.
struct ReferenceCount {
  const char* name;
  int64_t classes10, classes100, classes200;
};

// The checks every family test runs on each network of its table: the
// parameter counts for 10, 100 and 200 classes equal the table's, the state
// names and shapes match the reference listing (ExpectStateMatchesReference),
// native_input_size() is `native_size`, and a forward/backward pass at that
// size works (ExpectForwardBackward).
void ExpectMatchesReference(absl::Span<const ReferenceCount> table,
                            int64_t native_size);

// Expects the Conv2d weight `parameter` of `name` (100 classes, seed 0) to
// look left at PyTorch's default kaiming_uniform(a = sqrt(5)), i.e. in
// U(+-1/sqrt(fan_in)): all within the bound, the largest above 95 % of it.
void ExpectPyTorchDefaultConv(const std::string& name,
                              const std::string& parameter);

// The registered network `name` (fails the test if it cannot be built).
std::unique_ptr<Backbone> MakeBackbone(const std::string& name,
                                       int64_t num_classes = 100);

// Number of trainable parameter values (what PyTorch's
// sum(p.numel() for p in model.parameters()) counts).
int64_t CountParameters(const torch::nn::Module& module);

// Builds `name`, runs a batch of 2 random side x side images in train mode
// and checks every output shape against the network's declared widths
// (stage_channels, feature_dim, classes), that the outputs are finite, and
// that a backward pass reaches every parameter.
void ExpectForwardBackward(const std::string& name, int64_t side,
                           int64_t num_classes = 10);

// Expects the parameters and buffers of `name` (100 classes) to have exactly
// the names and shapes of the reference network (compared as sets).
void ExpectStateMatchesReference(const std::string& name);

// Runs `name` (10 classes) in eval mode on a batch of 2 random side x side
// images.
BackboneOutput RunEval(const std::string& name, int64_t side);

// The spatial side of each stage feature map.
std::vector<int64_t> StageSides(const BackboneOutput& out);

// Expects the weights of every Conv2d with `out_channels` output channels in
// `module` to look drawn from N(0, sqrt(2 / (k*k*out_channels))) (He normal,
// fan_out): mean ~0 and standard deviation within 5 %.
void ExpectHeNormalConvs(torch::nn::Module& module, int64_t out_channels);

// The path of a file under tests/backbones/testdata in the runfiles.
std::string TestDataPath(const std::string& file);

}  // namespace testing
}  // namespace kd

#endif  // KD_TESTS_BACKBONES_ZOO_TEST_UTIL_H_
