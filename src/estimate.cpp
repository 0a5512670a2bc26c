#include "llmmem/estimate.hpp"

#include "llmmem/error.hpp"

namespace llmmem {

Model make_model(std::string name, std::optional<std::string> hf_id, ModelConfig config) {
  Model m{std::move(name), std::move(hf_id), std::move(config), std::nullopt};
  if (m.config.supported) m.params = count_parameters(m.config);
  return m;
}

const Component* Estimate::find(std::string_view id) const {
  for (const auto& c : components)
    if (c.id == id) return &c;
  return nullptr;
}

Estimate estimate(const Model& model, const Request& request) {
  validate(request);
  return request.method == Method::document ? estimate_document(model, request) : estimate_detailed(model, request);
}

}  // namespace llmmem
