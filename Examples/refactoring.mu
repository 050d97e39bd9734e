; HyTorch's pattern matching and refactoring (the notebook's examples), on the
; S-expression network of hytorch-network.mu, then on a live model.
(require [hytorch.thread [*]] [hytorch.match [pat-refract]] [mino.mu [*]])
(import [hytorch.match [pat-find pat-match?]] [hytorch.lisp [printlisp]] torch mino)

(setv nn-def '(-> W_0 (tfun.linear W_1 W_2) tfun.sigmoid (tfun.linear W_3 W_4) tfun.sigmoid))
(setv e (macroexpand nn-def))

(print (pat-match? '(print (+ (+ 2 2) 3)) '(print (+ ?x:expr 3))))
(printlisp (pat-find e '(tfun.sigmoid ?x:expr) :n 2))
(printlisp (pat-find e '(tfun.linear &rest) :n 2))
(printlisp (macroexpand `(pat-refract ~e (tfun.sigmoid tfun.relu) (W_2 B_2) (W_4 B_4))))
(printlisp (macroexpand `(pat-refract ~e (tfun.sigmoid tfun.relu) ((tfun.linear &rest) (tfun.conv2d W_0)))))

; The same rewrite on a model: every torch.sigmoid in its mus becomes torch.relu,
; sharing the parameters.
(torch.manual_seed 0)
(setv model (bind (mu [x w b] (torch.sigmoid (+ (@ x w) b)))
                  :w (torch.nn.Parameter (torch.randn 3 2))
                  :b (torch.nn.Parameter (torch.randn 2))))
(setv relu-model (mino.refactor model 'torch.sigmoid 'torch.relu))
(print (hy-repr relu-model))
(setv x (torch.tensor [[1.0 -2.0 0.5]]))
(print (model x))
(print (relu-model x))
