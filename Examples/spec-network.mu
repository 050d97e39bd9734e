;- Macros
(require [mino.mu [*]]
[mino.thread [*]]
[mino.spec [*]]
[hy.contrib.walk [let]])
;- Imports
(import torch
[torch.nn.functional :as F]
[torch.nn :as nn]
[torch.optim [Adam]])
;-- Defines PyTorch Object Specifications
(spec/def :tensor (fn [x] (instance? torch.Tensor x))
:learnable (fn [x] x.requires_grad)
:rank1 (fn [x] (-> x .size len (= 1)))
:rank2 (fn [x] (-> x .size len (= 2))))
;-- Linear Operation
(defmu LinearTransformation [x weights bias]
(-> x (@ weights) (+ bias)))
;-- Defines a Learnable LinearTransformation data specification
; Weights and bias are constrained to ensure model is correctly configured.
; In this instance, weights must conform to Tensors with learnable gradients of ranks 2 and 1 respectively.
(spec/def :LearnableLinear (spec/parameters weights (spec/and :tensor :learnable :rank2)
bias (spec/and :tensor :learnable :rank1)))
;-- Defines a generator for the LearnableLinear Specification
; Generators are functions which return data that conforms to the specification.
(spec/defgen :LearnableLinear [f-in f-out]
(LinearTransformation :weights (-> (torch.empty (, f-in f-out))
(.normal_ :mean 0 :std 1.0)
(nn.Parameter :requires_grad True))
:bias (-> (torch.empty (, f-out))
(.normal_ :mean 0 :std 1.0)
(nn.Parameter :requires_grad True))))
;-- Feed Forward Operation
(defmu FeedForward [x linear-to-hidden linear-to-output]
(-> x
linear-to-hidden
torch.sigmoid
linear-to-output))
;-- Defines FeedForwardNeuralNetwork Specification
(spec/def :FeedForwardNeuralNetwork (spec/modules linear-to-hidden :LearnableLinear
linear-to-output :LearnableLinear))
;-- Defines FeedForwardNeuralNetwork Spec Generator
(spec/defgen :FeedForwardNeuralNetwork [nb-inputs nb-hidden nb-outputs]
(FeedForward :linear-to-hidden (spec/gen :LearnableLinear nb-inputs nb-hidden)
:linear-to-output (spec/gen :LearnableLinear nb-hidden nb-outputs)))
;--
(defmain [&rest _]
(print "Loading Model + Data...")
(let [nb-inputs 10 nb-hidden 32 nb-outputs 1]
;- Defines Model + Optimizer
(setv model (spec/gen :FeedForwardNeuralNetwork nb-inputs nb-hidden nb-outputs)
optimizer (Adam (.parameters model) :lr 0.001 :weight_decay 1e-5))
;- Generates Dummy Data
(let [batch-size 100]
(setv x (-> (torch.empty (, batch-size nb-inputs))
(.normal_ :mean 0 :std 1.0))
y (torch.ones (, batch-size nb-outputs)))))
;- Train
(let [epochs 100]
(print "Training...")
(for [epoch (range epochs)]
;- Forward
(setv y-pred (model x))
(setv loss (F.binary_cross_entropy_with_logits y-pred y))
(print (.format "Epoch: {epoch} Loss: {loss}" :epoch epoch :loss loss))
;- Backward
(.zero_grad optimizer)
(.backward loss)
(.step optimizer))))
