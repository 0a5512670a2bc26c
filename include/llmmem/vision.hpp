#pragma once
// The vision tower of a vision-language model (HuggingFace *ForConditionalGeneration: a text model, a
// vision encoder and a projector that maps the encoder's output into the text model's embeddings),
// and what images cost: the tokens each image adds to the context and the encoder's transient
// memory for the images of one step. src/vision.cpp cites the source of each shape and formula.
#include <cstdint>
#include <string_view>

namespace llmmem {

// The encoder family: decides the blocks' tensors (src/parameters.cpp) and how an image becomes
// patches (src/vision.cpp).
enum class VisionEncoder {
  siglip,      // transformers modeling_siglip.py SiglipVisionTransformer (Gemma 3): learned positions
  clip,        // modeling_clip.py CLIPVisionTransformer (LLaVA 1.5): class token, learned positions, pre-norm
  pixtral,     // modeling_pixtral.py PixtralVisionModel (Mistral Small 3.1/3.2): 2-D RoPE, any image size, SwiGLU
  qwen2_5_vl,  // modeling_qwen2_5_vl.py Qwen2_5_VisionTransformerPretrainedModel: RMSNorm, SwiGLU, windowed attention
  qwen3_vl,    // modeling_qwen3_vl.py Qwen3VLVisionModel: LayerNorm, GELU MLP, learned positions, deepstack mergers
  mllama,      // modeling_mllama.py MllamaVisionModel (Llama 3.2 Vision): tiles, a local and a gated global encoder
  llama4,      // modeling_llama4.py Llama4VisionModel: tiles of 336 px, class token, LayerNorm, GELU MLP, 2-D RoPE
};

// The projector from the encoder's width to the text model's hidden size.
enum class VisionProjector {
  gemma3,     // Gemma3MultiModalProjector: average-pool to mm_tokens_per_image, RMSNorm, one matrix, no bias
  llava_mlp,  // LlavaMultiModalProjector: linear_1, GELU, linear_2 (biases by multimodal_projector_bias)
  mistral3,   // Mistral3MultiModalProjector: RMSNorm, a patch merger of spatial_merge_size² patches, then LLaVA's MLP
  qwen_merger,  // Qwen2.5-VL / Qwen3-VL PatchMerger: a norm, then an MLP over spatial_merge_size² patches
  mllama,       // MllamaForConditionalGeneration multi_modal_projector: one linear with bias; its output is read
                // by the text model's cross-attention layers, not placed in the context
  llama4,       // Llama4VisionPixelShuffleMLP (vision_adapter: pixel_shuffle by pixel_shuffle_ratio, then
                // Llama4VisionMLP2 fc1/fc2) and Llama4MultiModalProjector (linear_1, no bias)
};

struct VisionConfig {
  VisionEncoder encoder = VisionEncoder::siglip;
  VisionProjector projector = VisionProjector::gemma3;
  std::uint64_t hidden_size = 0;
  std::uint64_t intermediate_size = 0;
  std::uint64_t n_layers = 0;  // encoder layers in the checkpoint
  std::uint64_t n_heads = 0;
  std::uint64_t head_dim = 0;  // hidden_size / n_heads, or Pixtral's head_dim key
  std::uint64_t n_channels = 3;
  std::uint64_t patch_size = 0;
  std::uint64_t image_size = 0;          // the square side the encoder is trained on (its position table)
  std::uint64_t tokens_per_image = 0;    // fixed tokens per image (Gemma 3 mm_tokens_per_image, LLaVA)
  bool projector_bias = true;            // LLaVA multimodal_projector_bias
  std::uint64_t feature_layers = 1;      // LLaVA: encoder layers whose outputs are concatenated (vision_feature_layer)
  std::uint64_t spatial_merge_size = 1;  // Mistral 3, Qwen: merge × merge patches become one token
  // Qwen2.5-VL / Qwen3-VL: frames per patch (an image is repeated temporal_patch_size times), Qwen3-VL's
  // learned position table and its deepstack mergers (one per deepstack_visual_indexes entry), and
  // the processor's pixel budget (preprocessor_config.json: min_pixels / max_pixels).
  std::uint64_t temporal_patch_size = 1;
  std::uint64_t position_table = 0;
  std::uint64_t deepstack_mergers = 0;
  std::uint64_t min_pixels = 0, max_pixels = 0;
  // Mllama: tiles per image (max_num_tiles), aspect-ratio table rows (supported_aspect_ratios + 1),
  // the gated global encoder's layers (num_global_layers). Llama 4: the processor's most tiles per
  // image (max_patches), without its global tile.
  std::uint64_t max_num_tiles = 0, aspect_ratio_rows = 0, global_layers = 0;
  // Llama 4: image_size and patch_size may each be a [height, width] pair (Llama4VisionConfig); they
  // then hold the heights and these the widths (0: square). The vision adapter's widths
  // (projector_input_dim, projector_output_dim), the projector's input (vision_output_dim), and the
  // patches that become one token, round(1 / pixel_shuffle_ratio²) (processing_llama4.py downsample_ratio).
  std::uint64_t image_width = 0, patch_width = 0;
  std::uint64_t projector_input_dim = 0, projector_output_dim = 0, output_dim = 0;
  std::uint64_t shuffle_factor = 1;

  // Patches per side and per image at the encoder's own resolution: (image_size / patch_size)², or
  // (height / patch height) × (width / patch width) for Llama 4's pairs.
  [[nodiscard]] std::uint64_t patches_per_side() const { return patch_size ? image_size / patch_size : 0; }
  [[nodiscard]] std::uint64_t patches() const {
    return patches_per_side() * (patch_width ? image_width / patch_width : patches_per_side());
  }
  // Positions the encoder's learned table holds: the patches, plus CLIP's class token; none for
  // Pixtral, whose positions are rotary.
  [[nodiscard]] std::uint64_t positions() const {
    if (encoder == VisionEncoder::pixtral || encoder == VisionEncoder::qwen2_5_vl) return 0;
    if (encoder == VisionEncoder::qwen3_vl) return position_table;
    const bool class_token =
        encoder == VisionEncoder::clip || encoder == VisionEncoder::mllama || encoder == VisionEncoder::llama4;
    return patches() + (class_token ? 1U : 0U);
  }
};

// Bounds on what a request may ask (Request validation): more images per prompt than any context
// holds at 64 tokens each in 2^18 tokens, and a side beyond 64k pixels, are typing errors.
constexpr std::uint64_t k_max_images = 4096;
constexpr std::uint64_t k_max_image_side = 65536;

// An image's size in pixels as the user gives it (--image-size WxH or PIXELS); 0 × 0: the model's own
// resolution (every model here resizes each image to it).
struct ImageSize {
  std::uint64_t width = 0, height = 0;
  [[nodiscard]] bool given() const { return width > 0 && height > 0; }
};

// Tokens one image adds to each sequence's context (what the KV cache holds for it). Throws
// UsageError when the model cannot take an image of that size.
[[nodiscard]] std::uint64_t image_tokens(const VisionConfig& v, ImageSize size);

// Mllama: the image features one image adds to every cross-attention layer's K/V (max_num_tiles ×
// (patches + its class token)); 0 for the other families, whose features join the context.
[[nodiscard]] std::uint64_t cross_attention_tokens(const VisionConfig& v);

// Sequence positions the encoder runs per image (all its tiles' for Llama 4).
[[nodiscard]] std::uint64_t encoder_positions(const VisionConfig& v, ImageSize size);

// The separate sequences (attention lengths) one image's positions are split into: Llama 4 encodes
// each tile on its own (tiles, plus the global tile when there are several); 1 for the others.
[[nodiscard]] std::uint64_t encoder_sequences(const VisionConfig& v, ImageSize size);

// The encoder's peak transient bytes for `images` images in one forward pass (inference), in the
// compute dtype of `bytes_per_value` bytes; with `eager_score_bytes` > 0 (eager attention) the
// heads × positions² scores per image are added at that many bytes each. Throws OverflowError.
[[nodiscard]] std::uint64_t encoder_peak_bytes(const VisionConfig& v, ImageSize size, std::uint64_t images,
                                               std::uint64_t bytes_per_value, std::uint64_t eager_score_bytes);

// The activations a training step saves for the backward through the encoder, for `images` images
// (16-bit compute; the encoder blocks are GPT-style: LayerNorm, GELU MLP). Throws OverflowError.
[[nodiscard]] std::uint64_t encoder_training_bytes(const VisionConfig& v, ImageSize size, std::uint64_t images);

[[nodiscard]] std::string_view to_string(VisionEncoder e);

}  // namespace llmmem
