"""Makes Tests/Fixtures/lrp_zennit.h5: Zennit's relevances on a tiny conv + dense net with
biases, the independent reference of ProbityEngineTests.LRPZennitTests and
ProbityExplainersTests.LRPZennitExplainerTests.

Provenance: made with Python 3.11, torch 2.13.0+cpu, zennit 0.5.1, h5py 3.16.0, numpy 2.4.6.
Run once in a throwaway venv (not in CI):
    python3 -m venv /tmp/venv-ref
    /tmp/venv-ref/bin/pip install torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl zennit h5py
    PYTHONPATH=/tmp/stub /tmp/venv-ref/bin/python Tests/Fixtures/recipes/make_lrp_fixture.py
Zennit imports `torchvision.models.resnet` for its ResNet canonizer; with a CPU torch wheel and
no matching torchvision, a stub package on PYTHONPATH stands in
(`/tmp/stub/torchvision/models/resnet.py` defining empty `Bottleneck` and `BasicBlock` modules).

The net (float32, weights and biases drawn below and stored in /net):
    x [1, 3, 4, 4] -> Conv 3x3 pad 1 (3 -> 3) -> ReLU -> Conv 3x3 pad 1 (3 -> 4) -> ReLU
      -> AvgPool 2x2 -> Flatten (16) -> Linear 16 -> 8 -> ReLU -> Linear 8 -> 3
Inputs: /inputs/mixed (standard normal, both signs) and /inputs/positive (uniform [0, 1)).
The relevance seed is the target logit's value at the target (Probity's and Captum's LRP seed);
the target is the input's top class, whose logit is positive (checked).

/relevance/<case> [1, 3, 4, 4] is the input relevance; attribute `input` names the input and
`target` the class (also in /targets/<input>). Every case puts one rule on all Conv and Linear layers (Zennit
`LayerMapComposite` with `Pass` on ReLU and `Norm` on AvgPool, as Zennit's own composites do),
except the composites:
- epsilon_0.25, epsilon_0: `Epsilon(0.25)`, `Epsilon(0)` (LRP-0), mixed input.
- gamma_0.25_positive: `Gamma(0.25)` on the positive input. Zennit 0.5's Gamma amplifies the
  contributions that share the output's sign (w + g*w+ for x+ and positive z, w + g*w- for x-,
  and the mirror for negative z); on positive inputs of a ReLU net, where neurons with z < 0
  carry no relevance, that is Montavon et al.'s rho(w) = w + g*w+ on weights and bias.
- gamma_0.25_montavon_mixed: Montavon et al. 2019's formula itself, rho(w) = w + g*w+ on
  weights and bias for every input sign, written as a Zennit `BasicHook`, on the mixed input
  (what Probity documents it computes; Zennit's Gamma differs here).
- gamma_0.25_zennit_mixed: Zennit's own `Gamma(0.25)` on the mixed input (Probity differs; the
  test checks that it does, so the README's statement stays true).
- zplus_nobias: `ZPlus(zero_params='bias')` (Probity's z+: no bias), mixed input.
- zplus_zennit: `ZPlus()` (Zennit's default: b+ in the positive denominator), which equals
  alpha1beta0 with the bias split by sign, mixed input.
- alphabeta_2_1: `AlphaBeta(2, 1)`, mixed input.
- flat: `Flat()` (bias zeroed by Zennit itself), mixed input.
- wsquare_nobias: `WSquare(zero_params='bias')` (Probity's w^2: no bias), mixed input;
  wsquare_zennit: `WSquare()` (Zennit's default also squares the bias into the denominator).
- zbox_first_epsilon: `ZBox(low, high)` on the first Conv (low = -1, -2, -1 and high = 1, 2, 1
  per channel), `Epsilon(0.25)` elsewhere, positive input.
- epsilon_gamma_box: Zennit's `EpsilonGammaBox(low=-1, high=1, epsilon=0.25, gamma=0.25)`:
  Probity's `lrp` explainer defaults under input = pixel/255*2 - 1, positive input.
- epsilon_plus_flat_nobias: `EpsilonPlusFlat(epsilon=0.25)` (flat first, z+ convolutions,
  epsilon dense) with its convolution rule replaced by `ZPlus(zero_params='bias')` (Probity's
  z+; the composite's own `zero_params` would zero the dense layers' bias too), positive input.
"""
import h5py
import numpy as np
import torch
from torch import nn
from zennit.composites import EpsilonGammaBox, EpsilonPlusFlat, LayerMapComposite, SpecialFirstLayerMapComposite
from zennit.core import BasicHook, Stabilizer
from zennit.rules import AlphaBeta, Epsilon, Flat, Gamma, GammaMod, Norm, Pass, WSquare, ZBox, ZPlus

torch.manual_seed(0)
rng = np.random.default_rng(19)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 3, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(3, 4, 3, padding=1)
        self.relu2 = nn.ReLU()
        self.pool = nn.AvgPool2d(2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(16, 8)
        self.relu3 = nn.ReLU()
        self.fc2 = nn.Linear(8, 3)

    def forward(self, x):
        x = self.pool(self.relu2(self.conv2(self.relu1(self.conv1(x)))))
        return self.fc2(self.relu3(self.fc1(self.flatten(x))))


net = Net().eval()
with torch.no_grad():
    for name, p in net.named_parameters():
        scale = 0.3 if name.endswith("bias") else 0.6
        p.copy_(torch.from_numpy(rng.normal(0, scale, size=tuple(p.shape)).astype(np.float32)))

inputs = {
    "mixed": torch.from_numpy(rng.normal(0, 1, size=(1, 3, 4, 4)).astype(np.float32)),
    "positive": torch.from_numpy(rng.uniform(0, 1, size=(1, 3, 4, 4)).astype(np.float32)),
}


class MontavonGamma(BasicHook):
    """rho(w) = w + g*w+ on weights and bias for every input (Montavon et al. 2019, eq. for LRP-gamma)."""

    def __init__(self, gamma=0.25, stabilizer=1e-6):
        stabilizer_fn = Stabilizer.ensure(stabilizer)
        super().__init__(
            input_modifiers=[lambda input: input],
            param_modifiers=[GammaMod(gamma, min=0.)],
            output_modifiers=[lambda output: output],
            gradient_mapper=(lambda out_grad, outputs: out_grad / stabilizer_fn(outputs[0])),
            reducer=(lambda inputs, gradients: inputs[0] * gradients[0]),
        )


def every_layer(rule):
    return LayerMapComposite(layer_map=[(nn.ReLU, Pass()), (nn.AvgPool2d, Norm()), (nn.Conv2d, rule), (nn.Linear, rule)])


low = torch.tensor([-1.0, -2.0, -1.0]).view(1, 3, 1, 1).expand(1, 3, 4, 4)
high = -low
cases = {
    "epsilon_0.25": (every_layer(Epsilon(0.25)), "mixed"),
    "epsilon_0": (every_layer(Epsilon(0)), "mixed"),
    "gamma_0.25_positive": (every_layer(Gamma(0.25)), "positive"),
    "gamma_0.25_montavon_mixed": (every_layer(MontavonGamma(0.25)), "mixed"),
    "gamma_0.25_zennit_mixed": (every_layer(Gamma(0.25)), "mixed"),
    "zplus_nobias": (every_layer(ZPlus(zero_params="bias")), "mixed"),
    "zplus_zennit": (every_layer(ZPlus()), "mixed"),
    "alphabeta_2_1": (every_layer(AlphaBeta(2, 1)), "mixed"),
    "flat": (every_layer(Flat()), "mixed"),
    "wsquare_nobias": (every_layer(WSquare(zero_params="bias")), "mixed"),
    "wsquare_zennit": (every_layer(WSquare()), "mixed"),
    "zbox_first_epsilon": (SpecialFirstLayerMapComposite(
        layer_map=[(nn.ReLU, Pass()), (nn.AvgPool2d, Norm()), (nn.Conv2d, Epsilon(0.25)), (nn.Linear, Epsilon(0.25))],
        first_map=[(nn.Conv2d, ZBox(low, high))]), "positive"),
    "epsilon_gamma_box": (EpsilonGammaBox(low=-torch.ones(1, 3, 4, 4), high=torch.ones(1, 3, 4, 4), epsilon=0.25, gamma=0.25), "positive"),
    "epsilon_plus_flat_nobias": (EpsilonPlusFlat(epsilon=0.25, layer_map=[(nn.Conv2d, ZPlus(zero_params="bias"))]), "positive"),
}

out = h5py.File(f"{__file__.rsplit('/Tests/', 1)[0]}/Tests/Fixtures/lrp_zennit.h5", "w")
out.attrs["provenance"] = "Tests/Fixtures/recipes/make_lrp_fixture.py; torch 2.13.0+cpu, zennit 0.5.1"
for name, p in net.named_parameters():
    out[f"net/{name}"] = p.detach().numpy()
for name, x in inputs.items():
    out[f"inputs/{name}"] = x.numpy()
    logits = net(x)
    out[f"logits/{name}"] = logits.detach().numpy()
targets = {name: int(net(x).argmax()) for name, x in inputs.items()}
for name, x in inputs.items():
    assert net(x)[0, targets[name]] > 0, name
    out[f"targets/{name}"] = np.array([targets[name]], dtype=np.int64)
for case, (composite, which) in cases.items():
    x = inputs[which].clone().requires_grad_(True)
    t = targets[which]
    with composite.context(net) as modified:
        y = modified(x)
        seed = torch.zeros_like(y)
        seed[0, t] = y[0, t]
        (relevance,) = torch.autograd.grad(y, x, grad_outputs=seed)
    d = out.create_dataset(f"relevance/{case}", data=relevance.numpy())
    d.attrs["input"] = which
    d.attrs["target"] = t
    print(f"{case:28s} input {which:8s} target {t} sum {relevance.sum().item():+.5f} logit {y[0, t].item():+.5f}")
out.close()
