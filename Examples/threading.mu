; HyTorch's threading examples (seed 000), printed with printlisp.
(require [hytorch.thread [*]])
(import [hytorch.lisp [printlisp]])

; Head Broadcast Threading
(printlisp (macroexpand '(*-> [input1 input2] tfun.matmul (tfun.add bias) [tfun.sigmoid tfun.relu])))

; Tail Broadcast Threading
(printlisp (macroexpand '(*->> [input1 input2] tfun.matmul (tf.add bias) [tfun.sigmoid tfun.relu])))

; Head List Inline Threading
(printlisp (macroexpand '(|-> [input1 input2] [(tfun.linear w1 b1) (tf.linear w2 b2)] tfun.sigmoid)))

; Tail List Inline Threading
(printlisp (macroexpand '(|->> [input1 input2] [(tfun.linear w1 b1) (tf.linear w2 b2)] tfun.sigmoid)))
