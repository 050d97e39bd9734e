; The README's tour of the .mu language: a model as mu expressions, trained,
; printed, reverted to source and rewritten.
(require [mino.mu [*]] [mino.thread [*]])
(import torch [torch.nn :as nn] [torch.nn.functional :as F] [torch.optim [Adam]] mino)

(torch.manual_seed 0)

(defmu Affine [x weight bias]
  "x @ weight + bias"
  (-> x (@ weight) (+ bias)))

(defn affine [n-in n-out]
  (Affine :weight (nn.Parameter (* 0.1 (torch.randn n-in n-out)))
          :bias (nn.Parameter (torch.zeros n-out))))

(defmu Net [x hidden output]
  (-> x hidden torch.tanh output))

(setv model (Net :hidden (affine 4 8) :output (affine 8 1))
      optimizer (Adam (.parameters model) :lr 0.05)
      x (torch.randn 32 4)
      y (.sum x :dim 1 :keepdim True))

(for [epoch (range 50)]
  (setv loss (F.mse_loss (model x) y))
  (.zero_grad optimizer)
  (.backward loss)
  (.step optimizer)
  (when (= (% epoch 10) 0)
    (print (.format "epoch {:2d} loss {:.4f}" epoch (.item loss)))))

(print model.hidden)
(print (hy-repr model))
(setv relu-model (mino.refactor model 'torch.tanh 'torch.relu))
(print (hy-repr relu-model))
(print (get (model x) 0) (get (relu-model x) 0))
