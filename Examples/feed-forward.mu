;- Macros
(require [mino.mu [*]]
[mino.thread [*]]
[hy.contrib.walk [let]])
;- Imports
(import torch
[torch.nn.functional :as F]
[torch.nn :as nn]
[torch.optim [Adam]])
;-- Defines a Linear Transformation operation
(defmu LinearTransformation [x weights bias]
(-> x (@ weights) (+ bias)))
;-- Defines a constructor for a Linear Transformation with learnable parameters
(defn LearnableLinear [f-in f-out]
(LinearTransformation
:weights (-> (torch.empty (, f-in f-out))
(.normal_ :mean 0 :std 1.0)
(nn.Parameter :requires_grad True))
:bias (-> (torch.empty (, f-out))
(.normal_ :mean 0 :std 1.0)
(nn.Parameter :requires_grad True))))
;-- Defines a Feed Forward operation
(defmu FeedForward [x linear-to-hidden linear-to-output]
(-> x
linear-to-hidden
torch.sigmoid
linear-to-output))
;-- Defines a constructor for a single-layer Neural Network with learnable mappings
(defn NeuralNetwork [nb-inputs nb-hidden nb-outputs]
(FeedForward
:linear-to-hidden (LearnableLinear nb-inputs nb-hidden)
:linear-to-output (LearnableLinear nb-hidden nb-outputs)))
;--
(defmain [&rest _]
(print "Loading Model + Data...")
(let [nb-inputs 10 nb-hidden 32 nb-outputs 1]
;- Defines Model + Optimizer
(setv model (NeuralNetwork nb-inputs nb-hidden nb-outputs)
optimizer (Adam (.parameters model) :lr 0.001 :weight_decay 1e-5))
;- Generates Dummy Data
(let [batch-size 100]
(setv x (-> (torch.empty (, batch-size nb-inputs))
(.normal_ :mean 0 :std 1.0))
y (torch.ones (, batch-size nb-outputs))))
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
(.step optimizer)))))
