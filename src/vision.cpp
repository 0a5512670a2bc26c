// Image tokens and the vision encoder's memory. Shapes follow transformers' modeling_siglip.py,
// modeling_clip.py, modeling_gemma3.py and modeling_llava.py; the image processors decide how an
// image becomes patches.
#include "llmmem/vision.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "llmmem/bytes.hpp"
#include "llmmem/error.hpp"

namespace llmmem {

namespace {

// SigLIP and CLIP see every image at their own resolution: Gemma 3's image processor
// resizes to size {896, 896} (image_processing_gemma3.py; pan-and-scan, off by default, would add
// crops as further images), LLaVA 1.5's CLIP processor resizes the shortest edge to 336 and
// center-crops 336 × 336 (preprocessor_config.json of llava-hf/llava-1.5-7b-hf). So the size the
// user gives changes nothing for them, and any positive size is accepted. Pixtral takes each image at
// its own size (pixtral_grid below).
void check_size(ImageSize size) {
  if ((size.width == 0) != (size.height == 0))
    throw UsageError(fmt::format("--image-size needs both a width and a height, got {}x{}", size.width, size.height));
}

}  // namespace

// Pixtral under Mistral 3 (transformers image_processing_pixtral.py get_resize_output_image_size
// with a patch of patch_size × spatial_merge_size = 28 px, as vLLM model_executor/models/pixtral.py
// PixtralHFEncoderInfo.get_patch_size / get_patch_grid_size applies it for Mistral 3): an image larger than image_size
// (1540) on a side is scaled down to fit, keeping its aspect ratio (floor(side / ratio), ratio = longest side /
// image_size), then each side is padded up to whole 28-px cells. Returns the cells (tokens) per column and per row.
struct PixtralGrid {
  std::uint64_t rows = 0, cols = 0;
};
PixtralGrid pixtral_grid(const VisionConfig& v, ImageSize size) {
  std::uint64_t h = size.given() ? size.height : v.image_size, w = size.given() ? size.width : v.image_size;
  const std::uint64_t longest = std::max(h, w);
  if (longest > v.image_size) {
    h = std::max<std::uint64_t>(1, h * v.image_size / longest);
    w = std::max<std::uint64_t>(1, w * v.image_size / longest);
  }
  const std::uint64_t cell = v.patch_size * v.spatial_merge_size;
  return {ceil_div(h, cell), ceil_div(w, cell)};
}

// Qwen2.5-VL and Qwen3-VL (transformers image_processing_qwen2_vl.py smart_resize, used by both):
// each side rounded to a multiple of factor = patch_size × merge_size, then the whole scaled to fit
// [min_pixels, max_pixels] keeping the aspect ratio. Without a size, the largest square the budget
// allows (what vLLM's profiler assumes: the most tokens an image can take).
struct QwenGrid {
  std::uint64_t height = 0, width = 0;  // pixels after smart_resize
};
QwenGrid qwen_grid(const VisionConfig& v, ImageSize size) {
  const std::uint64_t factor = v.patch_size * v.spatial_merge_size;
  if (!size.given()) {  // (at least one cell, whatever a config's patch sizes)
    const auto side = std::max(factor, static_cast<std::uint64_t>(std::sqrt(static_cast<double>(v.max_pixels))));
    size = {side, side};
  }
  const double h = static_cast<double>(size.height), w = static_cast<double>(size.width);
  const double f = static_cast<double>(factor);
  if (size.height < factor || size.width < factor)
    throw UsageError(
        fmt::format("--image-size {}x{}: both sides must be at least {} pixels for this model "
                    "(smart_resize)",
                    size.width, size.height, factor));
  if (std::max(h, w) / std::min(h, w) > 200)
    throw UsageError(
        fmt::format("--image-size {}x{}: the aspect ratio must be below 200 (smart_resize)", size.width, size.height));
  // Python's round() rounds half to even, as nearbyint does in the default rounding mode.
  double hb = std::nearbyint(h / f) * f, wb = std::nearbyint(w / f) * f;
  if (hb * wb > static_cast<double>(v.max_pixels)) {
    const double beta = std::sqrt(h * w / static_cast<double>(v.max_pixels));
    hb = std::max(f, std::floor(h / beta / f) * f);
    wb = std::max(f, std::floor(w / beta / f) * f);
  } else if (hb * wb < static_cast<double>(v.min_pixels)) {
    const double beta = std::sqrt(static_cast<double>(v.min_pixels) / (h * w));
    hb = std::ceil(h * beta / f) * f;
    wb = std::ceil(w * beta / f) * f;
  }
  return {static_cast<std::uint64_t>(hb), static_cast<std::uint64_t>(wb)};
}

bool is_qwen(const VisionConfig& v) {
  return v.encoder == VisionEncoder::qwen2_5_vl || v.encoder == VisionEncoder::qwen3_vl;
}

std::uint64_t cross_attention_tokens(const VisionConfig& v) {
  // MllamaVisionModel returns [images, max_num_tiles, num_patches + 1, vision_output_dim] (padded
  // tiles included: the processor pads every image to max_num_tiles), flattened to
  // images × tiles × 1601 cross_attention_states for the cross-attention layers (modeling_mllama.py
  // MllamaForConditionalGeneration.forward). 4 × 1601 = 6404 per image for Llama 3.2 Vision.
  return v.encoder == VisionEncoder::mllama ? v.max_num_tiles * v.positions() : 0;
}

std::uint64_t encoder_positions(const VisionConfig& v, ImageSize size) {
  check_size(size);
  // Mllama encodes every tile (tiles × (patches + class token)), each image padded to max_num_tiles.
  if (v.encoder == VisionEncoder::mllama) return cross_attention_tokens(v);
  if (is_qwen(v)) {
    // One position per patch of the resized image (grid_thw = 1 × h/patch × w/patch).
    const QwenGrid g = qwen_grid(v, size);
    return (g.height / v.patch_size) * (g.width / v.patch_size);
  }
  if (v.encoder == VisionEncoder::pixtral) {
    // PixtralVisionModel runs every patch of the resized image: (rows × merge) × (cols × merge).
    const PixtralGrid g = pixtral_grid(v, size);
    return g.rows * v.spatial_merge_size * g.cols * v.spatial_merge_size;
  }
  // SigLIP: (image_size / patch_size)² patches (SiglipVisionEmbeddings.num_patches); CLIP adds its
  // class token (CLIPVisionEmbeddings.num_positions = num_patches + 1).
  return v.positions();
}

std::uint64_t image_tokens(const VisionConfig& v, ImageSize size) {
  check_size(size);
  switch (v.projector) {
    case VisionProjector::gemma3:
      // Gemma3MultiModalProjector average-pools the 64 × 64 patch grid with kernel
      // patches_per_side / sqrt(mm_tokens_per_image) down to mm_tokens_per_image = 256 tokens
      // (modeling_gemma3.py), and the processor puts that many image tokens in the prompt
      // (processing_gemma3.py: image_seq_length = mm_tokens_per_image).
    case VisionProjector::llava_mlp:
      // LLaVA takes one encoder layer's output and, with vision_feature_select_strategy "default",
      // drops the class token (modeling_llava.py get_image_features: selected_image_feature[:, 1:]):
      // (336 / 14)² = 576 tokens per image; the processor expands <image> to as many
      // (processing_llava.py: num_image_tokens = (height // patch_size) * (width // patch_size)).
      // Both are fixed when the config is read (tokens_per_image).
      return v.tokens_per_image;
    case VisionProjector::qwen_merger: {
      // The merger turns merge² patches into one token (processing_qwen2_5_vl.py / processing_qwen3_vl.py:
      // image_grid_thw.prod() // merge_size² <|image_pad|> tokens): (H / 28)·(W / 28) for Qwen2.5-VL,
      // (H / 32)·(W / 32) for Qwen3-VL, H × W after smart_resize.
      const QwenGrid g = qwen_grid(v, size);
      const std::uint64_t factor = v.patch_size * v.spatial_merge_size;
      return (g.height / factor) * (g.width / factor);
    }
    case VisionProjector::mllama:
      // The prompt holds one <|image|> token per image (processing_mllama.py); the features go to the
      // cross-attention layers (cross_attention_tokens), not into the context.
      return 1;
    case VisionProjector::mistral3: {
      // Mistral 3 (processing_pixtral.py / processing_mistral3: [IMG] × cols then [IMG_BREAK] per row,
      // the last row's break an [IMG_END]): rows × (cols + 1) tokens, cells of 28 px. At the full
      // 1540 × 1540: 55 × 56 = 3080.
      const PixtralGrid g = pixtral_grid(v, size);
      return g.rows * (g.cols + 1);
    }
  }
  return v.tokens_per_image;
}

std::uint64_t encoder_peak_bytes(const VisionConfig& v, ImageSize size, std::uint64_t images,
                                 std::uint64_t bytes_per_value, std::uint64_t eager_score_bytes) {
  if (images == 0) return 0;
  // HF runs the encoder once over every image of the step (Gemma3Model / LlavaModel
  // get_image_features(pixel_values) on the whole [images, channels, H, W] batch); vLLM's profile
  // run encodes its dummy images in one batch too (v1/worker/gpu_model_runner.py profile_run: the
  // encoder budget's max items of the modality, at most limit_mm_per_prompt per request).
  // Per encoder layer (SiglipEncoderLayer, CLIPEncoderLayer: pre-norm blocks) the residual and the
  // normed input stay alive (2·T·h), then the larger of attention's q, k, v and output (4·T·h) and
  // the MLP's fc1 output and its GELU (2·T·I); T = images × positions. Eager attention adds the
  // heads × positions² scores of every image. The pixel values themselves are
  // images × channels × image_size² in the compute dtype.
  const std::uint64_t pos = encoder_positions(v, size);
  const std::uint64_t T = checked_mul(images, pos, "vision activations");
  const std::uint64_t h = v.hidden_size, I = v.intermediate_size;
  // Pixtral's and Qwen2.5-VL's MLPs are gated (PixtralMLP, Qwen2_5_VLMLP: gate, up and their product: 3·I).
  const bool gated = v.encoder == VisionEncoder::pixtral || v.encoder == VisionEncoder::qwen2_5_vl;
  const std::uint64_t mlp = (gated ? 3 : 2) * I;
  std::uint64_t per_token = 2 * h + std::max(4 * h, mlp);
  std::uint64_t bytes =
      checked_mul(checked_mul(T, per_token, "vision activations"), bytes_per_value, "vision activations");
  if (eager_score_bytes > 0) {
    const std::uint64_t scores = checked_mul(checked_mul(images, v.n_heads, "vision activations"),
                                             checked_mul(pos, pos, "vision activations"), "vision activations");
    bytes = checked_add(bytes, checked_mul(scores, eager_score_bytes, "vision activations"), "vision activations");
  }
  // The pixels the encoder reads: its patches × patch_size².
  const std::uint64_t pixels =
      checked_mul(checked_mul(images, v.n_channels, "vision activations"),
                  checked_mul(v.encoder == VisionEncoder::pixtral || is_qwen(v) ? pos
                              : v.encoder == VisionEncoder::mllama              ? v.max_num_tiles * v.patches()
                                                                                : v.patches(),
                              v.temporal_patch_size * v.patch_size * v.patch_size, "vision activations"),
                  "vision activations");
  return checked_add(bytes, checked_mul(pixels, bytes_per_value, "vision activations"), "vision activations");
}

std::uint64_t encoder_training_bytes(const VisionConfig& v, ImageSize size, std::uint64_t images) {
  if (images == 0) return 0;
  // SigLIP and CLIP layers are GPT-style blocks (LayerNorm, GELU MLP, biases): Korthikanti et al.
  // 2022 eq. 1, s·b·h·34 bytes per layer with I = 4h in 16 bits, generalised to 18·h + 4·I bytes
  // per token as for the text model (detailed_method.cpp layer_activation_bytes); flash attention
  // keeps no positions² scores. Every encoder layer saves them, for images × positions tokens.
  const std::uint64_t T = checked_mul(images, encoder_positions(v, size), "vision activations");
  const std::uint64_t per_layer = checked_mul(
      T, checked_add(18 * v.hidden_size, 4 * v.intermediate_size, "vision activations"), "vision activations");
  return checked_mul(per_layer, v.n_layers, "vision activations");
}

std::string_view to_string(VisionEncoder e) {
  switch (e) {
    case VisionEncoder::siglip:
      return "SigLIP";
    case VisionEncoder::clip:
      return "CLIP";
    case VisionEncoder::pixtral:
      return "Pixtral";
    case VisionEncoder::qwen2_5_vl:
      return "Qwen2.5-VL ViT";
    case VisionEncoder::qwen3_vl:
      return "Qwen3-VL ViT";
    case VisionEncoder::mllama:
      return "Mllama ViT";
  }
  return "";
}

}  // namespace llmmem
