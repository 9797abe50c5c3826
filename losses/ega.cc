// "ega": Embedding Graph Alignment (Ma, Chen, Akata, BMVC 2022).
// The graph (Pearson by default) is built once on [x_t; x_s]; with E_t, E_s
// its teacher and student blocks and N the teacher-student block,
//   node = ||N - I||_F,  edge = ||E_t - E_s||_F,
//   total = node_weight * node + edge_weight * edge
// (Frobenius norms, not squared, not averaged). The teacher side is a
// constant. node_target=labels / masked / teacher change what N is pulled to
// (pairs of one class correlated / left free / the teacher's own graph E_t):
// variants studied in docs/ega_study.md; the identity is the reference.
#include <ATen/ATen.h>
#include <torch/nn/modules/linear.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "graph/blocks.h"
#include "graph/graph_builder.h"
#include "kd/status_macros.h"
#include "losses/loss.h"
#include "losses/loss_inputs.h"

namespace kd {
namespace {

class EgaLoss : public Loss {
 public:
  static constexpr char kDoc[] =
      "Embedding Graph Alignment: node*||N - I||_F + edge*||E_t - E_s||_F on "
      "the graph of [teacher; student] embeddings";
  static OptionSchema Schema() {
    return {
        {"node", OptionType::kDouble, "1",
         "weight of the node term ||N - I||_F (the reference's 0.8 comes with "
         "weight=0.8 or node=0.8)"},
        {"edge", OptionType::kDouble, "0.3",
         "weight of the edge term ||E_t - E_s||_F"},
        {"graph", OptionType::kString, "pearson",
         "graph builder: any registered one (pearson, cosine, gaussian, ...)"},
        {"node_target", OptionType::kString, "identity",
         "what N is pulled to: identity (the reference: every "
         "teacher-student pair but (i, i) decorrelated, same class or not), "
         "labels (1 for pairs of one class, 0 otherwise) or masked (the "
         "identity on the diagonal and between classes; pairs of one class "
         "are left free) or teacher (E_t, the teacher's own graph: a student "
         "equal to the teacher has node 0)"},
        {"embed_dim", OptionType::kInt, "0",
         "0: align LossInputs' student/teacher embeddings (the model's "
         "heads); >0: the loss owns Linear layers from each network's pooled "
         "features to embed_dim and aligns their outputs"},
    };
  }
  static absl::StatusOr<std::unique_ptr<Loss>> Create(
      const Options& options, const LossContext& context) {
    const std::string& graph_name = options.GetString("graph");
    KD_ASSIGN_OR_RETURN(std::unique_ptr<GraphBuilder> graph,
                        GraphBuilder::Registry::Global().Create(graph_name));
    const int64_t embed_dim = options.GetInt("embed_dim");
    if (embed_dim < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("ega: embed_dim must be >= 0 (found ", embed_dim, ")"));
    }
    if (embed_dim > 0 && (context.student_feature_dim <= 0 ||
                          context.teacher_feature_dim <= 0)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "ega: embed_dim=", embed_dim,
          " needs the student's and teacher's pooled feature widths (found ",
          context.student_feature_dim, " and ", context.teacher_feature_dim,
          ")"));
    }
    const std::string& target = options.GetString("node_target");
    NodeTarget node_target;
    if (target == "identity") {
      node_target = NodeTarget::kIdentity;
    } else if (target == "labels") {
      node_target = NodeTarget::kLabels;
    } else if (target == "masked") {
      node_target = NodeTarget::kMasked;
    } else if (target == "teacher") {
      node_target = NodeTarget::kTeacher;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "ega: node_target must be identity, labels, masked or teacher "
          "(found '",
          target, "')"));
    }
    return std::unique_ptr<Loss>(
        new EgaLoss(options.GetDouble("node"), options.GetDouble("edge"),
                    std::move(graph), node_target, embed_dim, context));
  }

  bool couples_batch() const override { return true; }
  LossInputSet reads() const override {
    LossInputSet inputs;
    if (embed_dim_ > 0) {
      inputs.Add(LossInput::kStudentPooled).Add(LossInput::kTeacherPooled);
    } else {
      inputs.Add(LossInput::kStudentEmbedding)
          .Add(LossInput::kTeacherEmbedding);
    }
    if (node_target_ == NodeTarget::kLabels ||
        node_target_ == NodeTarget::kMasked) {
      inputs.Add(LossInput::kLabels);
    }
    return inputs;
  }

  absl::StatusOr<LossValue> Compute(const LossInputs& inputs) override {
    EmbeddingPair x;
    if (embed_dim_ > 0) {
      KD_ASSIGN_OR_RETURN(EmbeddingPair pooled,
                          StudentTeacherPooled("ega", inputs, false));
      if (pooled.student.size(1) != student_embed_->options.in_features() ||
          pooled.teacher.size(1) != teacher_embed_->options.in_features()) {
        return absl::InvalidArgumentError(
            absl::StrCat("ega: pooled features ", ShapeText(pooled.student),
                         " and ", ShapeText(pooled.teacher),
                         " do not match the embedding layers' "
                         "inputs (",
                         student_embed_->options.in_features(), " and ",
                         teacher_embed_->options.in_features(), ")"));
      }
      x.student = student_embed_->forward(pooled.student);
      // The teacher's features are constants; its embedding layer belongs
      // to the loss and is trained by it.
      x.teacher = teacher_embed_->forward(pooled.teacher);
    } else {
      KD_ASSIGN_OR_RETURN(x, StudentTeacherEmbeddings("ega", inputs, true));
    }
    KD_ASSIGN_OR_RETURN(GraphBlocks blocks,
                        BuildBlocks(*graph_, x.teacher, x.student));
    const int64_t b = x.student.size(0);
    torch::Tensor node_diff = blocks.ab - at::eye(b, blocks.ab.options());
    if (node_target_ == NodeTarget::kTeacher) {
      node_diff = blocks.ab - blocks.aa;  // E_t: from the teacher, a constant
    } else if (node_target_ != NodeTarget::kIdentity) {
      KD_ASSIGN_OR_RETURN(torch::Tensor labels,
                          IntegerInput("ega", "labels", inputs.labels, b, 0));
      const torch::Tensor same_class =
          labels.unsqueeze(1).eq(labels.unsqueeze(0)).to(blocks.ab.dtype());
      if (node_target_ == NodeTarget::kLabels) {
        node_diff = blocks.ab - same_class;
      } else {  // kMasked: pairs of one class (off the diagonal) are free
        node_diff =
            node_diff * (1 - same_class + at::eye(b, blocks.ab.options()));
      }
    }
    LossValue value;
    const torch::Tensor node = at::norm(node_diff);
    const torch::Tensor edge = at::norm(blocks.aa - blocks.bb);
    value.total = node_weight_ * node + edge_weight_ * edge;
    value.terms = {{"node", node}, {"edge", edge}};
    return value;
  }

 private:
  enum class NodeTarget { kIdentity, kLabels, kMasked, kTeacher };

  EgaLoss(double node_weight, double edge_weight,
          std::unique_ptr<GraphBuilder> graph, NodeTarget node_target,
          int64_t embed_dim, const LossContext& context)
      : node_weight_(node_weight),
        edge_weight_(edge_weight),
        graph_(std::move(graph)),
        node_target_(node_target),
        embed_dim_(embed_dim) {
    if (embed_dim_ > 0) {
      student_embed_ = register_module(
          "student_embed",
          torch::nn::Linear(context.student_feature_dim, embed_dim_));
      teacher_embed_ = register_module(
          "teacher_embed",
          torch::nn::Linear(context.teacher_feature_dim, embed_dim_));
    }
  }

  double node_weight_;
  double edge_weight_;
  std::unique_ptr<GraphBuilder> graph_;
  NodeTarget node_target_;
  int64_t embed_dim_;
  torch::nn::Linear student_embed_{nullptr};
  torch::nn::Linear teacher_embed_{nullptr};
};
KD_REGISTER(Loss, EgaLoss, "ega");

}  // namespace
}  // namespace kd
