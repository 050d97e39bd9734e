;; GenPyTorch's LeNet (Examples/lenet.py, plain PyTorch) as a component of a mu
;; model: its forward runs in PyTorch, its gradients come from torch.autograd
;; and join Mino's tape, and Mino's Adam trains its parameters with the head's.
;;   mino run Examples/torch-lenet.mu            (any backend: --backend torch for zero copy)
(require [mino.mu [*]])
(import torch
        [torch.nn.functional :as F]
        [torch.nn :as nn]
        [torch.optim [Adam]])

(setv model (bind (mu [x net head] (head (torch.relu (net x))))
                  :net (torch-module "lenet.py" "MyModel")
                  :head (nn.Linear 10 10)))
(print model)
(print (lfor [name p] (.named_parameters model) name))

(torch.manual_seed 0)
(setv x (torch.randn 8 1 32 32)
      y (torch.tensor [3 1 4 1 5 9 2 6])
      optimizer (Adam (.parameters model) :lr 0.001))
(for [step (range 5)]
  (setv loss (F.cross_entropy (model x) y))
  (.zero_grad optimizer)
  (.backward loss)
  (.step optimizer)
  (print (.format "step {} loss {:.4f}" step (.item loss))))
