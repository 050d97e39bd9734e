; MinoTauro's anonymous mu and bind snippets (seed 001), with the names they use
; defined first (my-x, my-w, my-b, f-in, f-out, Parameter, Linear).
(require [mino.mu [*]] [mino.thread [*]])
(import torch [torch.nn [Parameter]])

(setv f-in 4 f-out 2)
(setv my-x (torch.ones 3 f-in) my-w (torch.ones f-in f-out) my-b (torch.zeros f-out))

;- Anonymous Linear
(mu [x w b] (-> x (@ w) (+ b)))
;- Forward Propagate
(print ((mu [x w b] (-> x (@ w) (+ b))) my-x my-w my-b))

;- Anonymous Linear with default w and b
(setv linear (bind (mu [x w b] (-> x (@ w) (+ b)))
:w (-> (torch.empty (, f-in f-out))
(.normal_ :mean 0 :std 1.0)
(Parameter :requires_grad True))
:b (-> (torch.empty (, f-out))
(.normal_ :mean 0 :std 1.0)
(Parameter :requires_grad True))))
(print linear)
(print (. (linear my-x) shape))

;- Namespaced Linear with default w and b
(defmu Linear [x w b] (-> x (@ w) (+ b)))
(setv named (Linear
:w (-> (torch.empty (, f-in f-out))
(.normal_ :mean 0 :std 1.0)
(Parameter :requires_grad True))
:b (-> (torch.empty (, f-out))
(.normal_ :mean 0 :std 1.0)
(Parameter :requires_grad True))))
(print (hy-repr named))
; bind keeps what it is not given: only b changes.
(setv rebound (bind named :b (torch.nn.Parameter (torch.ones f-out))))
(print (. (rebound my-x) shape))
