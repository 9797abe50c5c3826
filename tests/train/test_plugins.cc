#include "tests/train/test_plugins.h"

#include <ATen/ATen.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <random>

#include "absl/strings/str_cat.h"
#include "backbones/backbone.h"
#include "kd/data/dataset.h"
#include "losses/loss.h"

namespace kd {
namespace testing {
namespace {

class TestBlobs : public Dataset {
 public:
  static constexpr char kDoc[] = "synthetic 4-quadrant blobs (tests only)";
  static OptionSchema Schema() {
    return {{"size", OptionType::kInt, "96", "examples"},
            {"side", OptionType::kInt, "8", "image side"},
            {"classes", OptionType::kInt, "4", "classes"}};
  }
  static absl::StatusOr<std::unique_ptr<Dataset>> Create(
      const Options& options, const DatasetConfig& config) {
    if (config.split != "train" && config.split != "test") {
      return absl::InvalidArgumentError(
          absl::StrCat("test_blobs: unknown split '", config.split, "'"));
    }
    return std::unique_ptr<Dataset>(new TestBlobs(
        options.GetInt("size"), options.GetInt("side"),
        options.GetInt("classes"), config.split == "test" ? 1000 : 0));
  }
  TestBlobs(int64_t size, int64_t side, int64_t classes, uint64_t salt)
      : size_(size), side_(side), classes_(classes), salt_(salt) {}
  int64_t size() const override { return size_; }
  int64_t num_classes() const override { return classes_; }
  std::vector<std::string> class_names() const override {
    std::vector<std::string> names;
    for (int64_t c = 0; c < classes_; ++c)
      names.push_back(absl::StrCat("blob", c));
    return names;
  }
  absl::StatusOr<Example> Get(int64_t index) const override {
    if (index < 0 || index >= size_) return absl::OutOfRangeError("index");
    Example e;
    e.label = index % classes_;
    e.image.height = e.image.width = static_cast<int>(side_);
    e.image.channels = 3;
    e.image.pixels.resize(side_ * side_ * 3);
    std::mt19937_64 rng(salt_ * 1000003 + index);
    std::uniform_int_distribution<int> noise(0, 80);
    // Flip-invariant classes: the bright band is the top or bottom half
    // (label % 2) in colour channel (label / 2) % 3.
    const int64_t band = e.label % 2, colour = (e.label / 2) % 3;
    const int64_t half = side_ / 2;
    for (int64_t y = 0; y < side_; ++y) {
      for (int64_t x = 0; x < side_; ++x) {
        const bool inside = y / half == band;
        for (int64_t ch = 0; ch < 3; ++ch) {
          int v = noise(rng);
          if (inside && ch == colour) v += 150;
          e.image.pixels[(y * side_ + x) * 3 + ch] = static_cast<uint8_t>(v);
        }
      }
    }
    return e;
  }

 private:
  int64_t size_, side_, classes_;
  uint64_t salt_;
};
KD_REGISTER(Dataset, TestBlobs, "test_blobs");

class TestTinyCnn : public Backbone {
 public:
  static constexpr char kDoc[] = "two-conv network (tests only)";
  static OptionSchema Schema() {
    return {{"width", OptionType::kInt, "4", "channels of the first conv"}};
  }
  static absl::StatusOr<std::unique_ptr<Backbone>> Create(
      const Options& options, const BackboneConfig& config) {
    return std::unique_ptr<Backbone>(
        new TestTinyCnn(options.GetInt("width"), config));
  }
  TestTinyCnn(int64_t width, const BackboneConfig& config) : width_(width) {
    conv1_ = register_module(
        "conv1",
        torch::nn::Conv2d(torch::nn::Conv2dOptions(config.in_channels, width, 3)
                              .padding(1)
                              .bias(false)));
    bn1_ = register_module("bn1", torch::nn::BatchNorm2d(width));
    conv2_ = register_module(
        "conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(width, 2 * width, 3)
                                       .padding(1)
                                       .stride(2)
                                       .bias(false)));
    bn2_ = register_module("bn2", torch::nn::BatchNorm2d(2 * width));
    fc_ =
        register_module("fc", torch::nn::Linear(2 * width, config.num_classes));
  }
  BackboneOutput Forward(const torch::Tensor& images) override {
    BackboneOutput out;
    auto x = bn1_->forward(conv1_->forward(images));
    out.preact_stage_features.push_back(x);
    x = x.relu();
    out.stage_features.push_back(x);
    x = bn2_->forward(conv2_->forward(x));
    out.preact_stage_features.push_back(x);
    x = x.relu();
    out.stage_features.push_back(x);
    out.pooled = x.mean({2, 3});
    out.logits = fc_->forward(out.pooled);
    return out;
  }
  int64_t feature_dim() const override { return 2 * width_; }
  std::vector<int64_t> stage_channels() const override {
    return {width_, 2 * width_};
  }
  int64_t native_input_size() const override { return 8; }

 private:
  int64_t width_;
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr};
  torch::nn::Linear fc_{nullptr};
};
KD_REGISTER(Backbone, TestTinyCnn, "test_tiny_cnn");

class TestNanLoss : public Loss {
 public:
  static constexpr char kDoc[] = "NaN after some calls (tests only)";
  static OptionSchema Schema() {
    return {{"after", OptionType::kInt, "3", "finite calls before the NaN"}};
  }
  static absl::StatusOr<std::unique_ptr<Loss>> Create(const Options& options,
                                                      const LossContext&) {
    return std::unique_ptr<Loss>(new TestNanLoss(options.GetInt("after")));
  }
  explicit TestNanLoss(int64_t after) : after_(after) {}
  LossInputSet reads() const override { return {LossInput::kStudentEmbedding}; }
  absl::StatusOr<LossValue> Compute(const LossInputs& inputs) override {
    // The total stays finite; the part "boom" turns NaN.
    const torch::Tensor total = inputs.student_embed.sum() * 0;
    torch::Tensor boom = total.detach().clone();
    if (calls_++ >= after_) boom = boom + std::nan("");
    return LossValue{total, {{"boom", boom}}};
  }

 private:
  int64_t after_, calls_ = 0;
};
KD_REGISTER(Loss, TestNanLoss, "test_nan");

}  // namespace

int TestPluginsLinked() { return 1; }

RunConfig TinyTeacherRunConfig(const std::string& out_dir) {
  RunConfig c;
  c.mode = TrainMode::kTeacher;
  c.dataset = "test_blobs:size=96";
  c.eval_subset = 0;
  c.input_size = 8;
  c.teacher = "test_tiny_cnn";
  c.teacher_embed_dim = 8;
  c.embed_dim = 8;
  c.loss = {"ce"};
  c.epochs = 4;
  c.batch_size = 16;
  c.lr = 0.05;
  c.lr_milestones = {3};
  c.seed = 7;
  c.threads = 1;
  c.loader_workers = 2;
  c.out_dir = out_dir;
  c.progress = false;
  return c;
}

}  // namespace testing
}  // namespace kd
