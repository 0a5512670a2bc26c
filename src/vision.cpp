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

// Llama 4 (transformers image_processing_llama4_fast.py Llama4ImageProcessorFast._preprocess): the
// canvases are every rows × cols grid of square tiles of `size` px (336, the checkpoints'
// vision_config.image_size, which the encoder's position table is built for) with rows · cols ≤
// max_patches (find_supported_resolutions). get_best_fit scores each canvas by the scale that fits the
// H × W image into it without distortion, min(rows·336 / H, cols·336 / W); it takes the smallest scale
// ≥ 1 (the least upscaling; resize_to_max_canvas is False), or when no canvas holds the image
// unscaled the largest scale below 1 (the least downscaling), and among the canvases of that scale the
// smallest area. The image is resized into the canvas, padded, and cut into rows × cols tiles
// (split_to_tiles). Returns rows · cols. The scales are compared here as exact fractions (torch
// compares float32 quotients; equal fractions written two ways could round apart there).
std::uint64_t llama4_tiles(const VisionConfig& v, ImageSize size) {
  // No size given: the most tiles an image can take, max_patches (a 4 × 4 canvas for a square of
  // 1344 px or more).
  if (!size.given()) return v.max_num_tiles;
  const std::uint64_t tile = v.image_size, H = size.height, W = size.width;
  struct Scale {  // num / den
    std::uint64_t num = 0, den = 1;
  };
  const auto less = [](Scale a, Scale b) { return a.num * b.den < b.num * a.den; };
  const auto equal = [](Scale a, Scale b) { return a.num * b.den == b.num * a.den; };
  // (sides ≤ 65536, tiles ≤ max_patches, tile ≤ k_max_dimension: every product fits in 64 bits)
  const auto scale_of = [&](std::uint64_t rows, std::uint64_t cols) {
    const Scale h{rows * tile, H}, w{cols * tile, W};
    return less(w, h) ? w : h;
  };
  bool any_up = false;
  Scale best{0, 1};
  for (std::uint64_t rows = 1; rows <= v.max_num_tiles; ++rows)
    for (std::uint64_t cols = 1; rows * cols <= v.max_num_tiles; ++cols) {
      const Scale s = scale_of(rows, cols);
      const bool up = s.num >= s.den;
      if (up && (!any_up || less(s, best))) best = s;
      if (!up && !any_up && less(best, s)) best = s;
      any_up = any_up || up;
    }
  std::uint64_t area = v.max_num_tiles;
  for (std::uint64_t rows = 1; rows <= v.max_num_tiles; ++rows)
    for (std::uint64_t cols = 1; rows * cols <= v.max_num_tiles; ++cols)
      if (equal(scale_of(rows, cols), best)) area = std::min(area, rows * cols);
  return area;
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

std::uint64_t encoder_sequences(const VisionConfig& v, ImageSize size) {
  check_size(size);
  if (v.encoder != VisionEncoder::llama4) return 1;
  // Llama 4: the local tiles, plus the global tile (the whole image resized to one tile) when there
  // are several (image_processing_llama4_fast.py: "add a global tile ... if there are more than one
  // tile"); Llama4VisionModel.forward takes them as batch_size_times_num_tiles separate sequences.
  const std::uint64_t tiles = llama4_tiles(v, size);
  return tiles > 1 ? tiles + 1 : 1;
}

std::uint64_t encoder_positions(const VisionConfig& v, ImageSize size) {
  check_size(size);
  // Llama 4: each tile is (image_size / patch_size)² patches and the class embedding appended
  // (Llama4VisionModel.forward: torch.cat([hidden_state, class_embedding]); 577 positions at 336 px).
  if (v.encoder == VisionEncoder::llama4) return encoder_sequences(v, size) * v.positions();
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
    case VisionProjector::llama4: {
      // Each tile's 576 patch features (the class token dropped: hidden_state[:, :-1, :]) are
      // pixel-shuffled by pixel_shuffle_ratio 0.5 into 576 · 0.5² = 144 tokens (modeling_llama4.py
      // pixel_shuffle; processing_llama4.py num_patches_per_chunk = (tile H // patch) · (tile W //
      // patch) // downsample_ratio, downsample_ratio = round(1 / ratio²) = 4). The processor writes
      // (processing_llama4.py _prompt_split_image) <|image_start|>; when there are several tiles, per
      // row of the rows × cols grid each tile's 144 <|patch|> tokens with a <|tile_x_separator|>
      // between tiles and a <|tile_y_separator|> after the row (tiles · 145 tokens); then <|image|>,
      // the global tile's (or the single tile's) 144 <|patch|> and <|image_end|>:
      // tiles > 1: tiles · (N + 1) + N + 3; one tile: N + 3 (147). At the 16 tiles of max_patches:
      // 16 · 145 + 147 = 2467.
      const std::uint64_t per_tile = v.patches() / v.shuffle_factor;
      const std::uint64_t tiles = llama4_tiles(v, size);
      return (tiles > 1 ? tiles * (per_tile + 1) : 0) + per_tile + 3;
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
  // Llama 4's tiles are separate sequences: the scores are tiles × heads × (positions per tile)². Its
  // vision adapter then works on 144 shuffled tokens per tile (fc1 to projector_input_dim, fc2 to
  // projector_output_dim), far below an encoder layer's peak, so the encoder layers bound it.
  const std::uint64_t pos = encoder_positions(v, size), seqs = encoder_sequences(v, size), len = pos / seqs;
  const std::uint64_t T = checked_mul(images, pos, "vision activations");
  const std::uint64_t h = v.hidden_size, I = v.intermediate_size;
  // Pixtral's and Qwen2.5-VL's MLPs are gated (PixtralMLP, Qwen2_5_VLMLP: gate, up and their product: 3·I).
  const bool gated = v.encoder == VisionEncoder::pixtral || v.encoder == VisionEncoder::qwen2_5_vl;
  const std::uint64_t mlp = (gated ? 3 : 2) * I;
  std::uint64_t per_token = 2 * h + std::max(4 * h, mlp);
  std::uint64_t bytes =
      checked_mul(checked_mul(T, per_token, "vision activations"), bytes_per_value, "vision activations");
  if (eager_score_bytes > 0) {
    const std::uint64_t scores =
        checked_mul(checked_mul(checked_mul(images, seqs, "vision activations"), v.n_heads, "vision activations"),
                    checked_mul(len, len, "vision activations"), "vision activations");
    bytes = checked_add(bytes, checked_mul(scores, eager_score_bytes, "vision activations"), "vision activations");
  }
  // The pixels the encoder reads: its patches × patch_size² (Llama 4: every tile's, patch height × width).
  const std::uint64_t patch_area = v.patch_size * (v.patch_width ? v.patch_width : v.patch_size);
  const std::uint64_t pixels =
      checked_mul(checked_mul(images, v.n_channels, "vision activations"),
                  checked_mul(v.encoder == VisionEncoder::pixtral || is_qwen(v) ? pos
                              : v.encoder == VisionEncoder::mllama              ? v.max_num_tiles * v.patches()
                              : v.encoder == VisionEncoder::llama4              ? seqs * v.patches()
                                                                                : v.patches(),
                              v.temporal_patch_size * patch_area, "vision activations"),
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
    case VisionEncoder::llama4:
      return "Llama 4 ViT";
  }
  return "";
}

}  // namespace llmmem
