;; Sparse products and Adam's update for the training step, with WebAssembly SIMD.
;;
;; The module imports the memory of TF.js's wasm backend, so it reads and
;; writes tensors where that backend keeps them. Build the binary with
;; `npm run build:kernels`, which writes step-wasm.ts next to this file.
;;
;; A sparse matrix A is a whole dataset in compressed rows: the nonzeros of
;; row q are values[p] at column indices[p] for p from starts[q] to
;; starts[q + 1] - 1, in increasing column order. A batch is a list of
;; dataset rows, batch_rows[0 .. rows - 1]. Matrices are row-major float32.
;;
;; Every sum starts at 0 and adds its terms in the order a dense product
;; adds them, a float32 multiplication then a float32 addition per term, as
;; XNNPACK's WebAssembly SIMD kernels do. The terms a dense product adds in
;; addition are products of zero, which leave a sum unchanged, so the
;; results agree bit for bit while the dense operand is finite.
(module
  (import "env" "memory" (memory 0))

  ;; out[r, :] = A[batch_rows[r], :] B, with B [A's columns, n] and out [rows, n].
  ;; With a bias (a nonzero address of n values) each sum starts at the
  ;; bias instead of 0, and with relu set to 1 a negative result becomes 0,
  ;; as XNNPACK's fully connected kernels with a bias and a clamp at 0 do
  ;; (pmax keeps the bits of an operand, as their x86 variants do).
  ;; Columns go in blocks of 32 (eight accumulators), then of 4, then one at a time.
  (func (export "gather_matmul")
    (param $values i32) (param $indices i32) (param $starts i32) (param $batch_rows i32)
    (param $rows i32) (param $b i32) (param $n i32) (param $out i32) (param $bias i32) (param $relu i32)
    (local $r i32) (local $p i32) (local $start i32) (local $end i32) (local $j i32)
    (local $stride i32) (local $row i32) (local $b_block i32) (local $out_block i32) (local $out_row i32)
    (local $s v128) (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128) (local $acc4 v128) (local $acc5 v128) (local $acc6 v128) (local $acc7 v128) (local $sum f32)
    (local.set $stride (i32.shl (local.get $n) (i32.const 2)))
    (local.set $r (i32.const 0))
    (block $rows_done (loop $rows_next
      (br_if $rows_done (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $row (i32.add (local.get $starts)
        (i32.shl (i32.load (i32.add (local.get $batch_rows) (i32.shl (local.get $r) (i32.const 2)))) (i32.const 2))))
      (local.set $start (i32.load (local.get $row)))
      (local.set $end (i32.load offset=4 (local.get $row)))
      (local.set $out_row (i32.add (local.get $out) (i32.mul (local.get $r) (local.get $stride))))
      (local.set $j (i32.const 0))

      (block $wide_done (loop $wide_next
        (br_if $wide_done (i32.gt_u (i32.add (local.get $j) (i32.const 32)) (local.get $n)))
        (local.set $b_block (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $out_block (i32.add (local.get $out_row) (i32.shl (local.get $j) (i32.const 2))))
          (if (local.get $bias)
            (then
              (local.set $acc0 (v128.load offset=0 (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2)))))
              (local.set $acc1 (v128.load offset=16 (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2)))))
              (local.set $acc2 (v128.load offset=32 (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2)))))
              (local.set $acc3 (v128.load offset=48 (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2)))))
              (local.set $acc4 (v128.load offset=64 (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2)))))
              (local.set $acc5 (v128.load offset=80 (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2)))))
              (local.set $acc6 (v128.load offset=96 (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2)))))
              (local.set $acc7 (v128.load offset=112 (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2)))))
            )
            (else
              (local.set $acc0 (v128.const i32x4 0 0 0 0))
              (local.set $acc1 (v128.const i32x4 0 0 0 0))
              (local.set $acc2 (v128.const i32x4 0 0 0 0))
              (local.set $acc3 (v128.const i32x4 0 0 0 0))
              (local.set $acc4 (v128.const i32x4 0 0 0 0))
              (local.set $acc5 (v128.const i32x4 0 0 0 0))
              (local.set $acc6 (v128.const i32x4 0 0 0 0))
              (local.set $acc7 (v128.const i32x4 0 0 0 0))
            ))
          (local.set $p (local.get $start))
          (block $done (loop $next
            (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $s (f32x4.splat (f32.load (i32.add (local.get $values) (i32.shl (local.get $p) (i32.const 2))))))
            (local.set $row (i32.add (local.get $b_block)
              (i32.mul (i32.load (i32.add (local.get $indices) (i32.shl (local.get $p) (i32.const 2)))) (local.get $stride))))
            (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $s) (v128.load offset=0 (local.get $row)))))
            (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $s) (v128.load offset=16 (local.get $row)))))
            (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (local.get $s) (v128.load offset=32 (local.get $row)))))
            (local.set $acc3 (f32x4.add (local.get $acc3) (f32x4.mul (local.get $s) (v128.load offset=48 (local.get $row)))))
            (local.set $acc4 (f32x4.add (local.get $acc4) (f32x4.mul (local.get $s) (v128.load offset=64 (local.get $row)))))
            (local.set $acc5 (f32x4.add (local.get $acc5) (f32x4.mul (local.get $s) (v128.load offset=80 (local.get $row)))))
            (local.set $acc6 (f32x4.add (local.get $acc6) (f32x4.mul (local.get $s) (v128.load offset=96 (local.get $row)))))
            (local.set $acc7 (f32x4.add (local.get $acc7) (f32x4.mul (local.get $s) (v128.load offset=112 (local.get $row)))))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $next)))
          (if (local.get $relu)
            (then
              (local.set $acc0 (f32x4.pmax (v128.const i32x4 0 0 0 0) (local.get $acc0)))
              (local.set $acc1 (f32x4.pmax (v128.const i32x4 0 0 0 0) (local.get $acc1)))
              (local.set $acc2 (f32x4.pmax (v128.const i32x4 0 0 0 0) (local.get $acc2)))
              (local.set $acc3 (f32x4.pmax (v128.const i32x4 0 0 0 0) (local.get $acc3)))
              (local.set $acc4 (f32x4.pmax (v128.const i32x4 0 0 0 0) (local.get $acc4)))
              (local.set $acc5 (f32x4.pmax (v128.const i32x4 0 0 0 0) (local.get $acc5)))
              (local.set $acc6 (f32x4.pmax (v128.const i32x4 0 0 0 0) (local.get $acc6)))
              (local.set $acc7 (f32x4.pmax (v128.const i32x4 0 0 0 0) (local.get $acc7)))
            ))
          (v128.store offset=0 (local.get $out_block) (local.get $acc0))
          (v128.store offset=16 (local.get $out_block) (local.get $acc1))
          (v128.store offset=32 (local.get $out_block) (local.get $acc2))
          (v128.store offset=48 (local.get $out_block) (local.get $acc3))
          (v128.store offset=64 (local.get $out_block) (local.get $acc4))
          (v128.store offset=80 (local.get $out_block) (local.get $acc5))
          (v128.store offset=96 (local.get $out_block) (local.get $acc6))
          (v128.store offset=112 (local.get $out_block) (local.get $acc7))
        (local.set $j (i32.add (local.get $j) (i32.const 32)))
        (br $wide_next)))

      (block $narrow_done (loop $narrow_next
        (br_if $narrow_done (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
        (local.set $b_block (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $out_block (i32.add (local.get $out_row) (i32.shl (local.get $j) (i32.const 2))))
          (if (local.get $bias)
            (then
              (local.set $acc0 (v128.load offset=0 (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2)))))
            )
            (else
              (local.set $acc0 (v128.const i32x4 0 0 0 0))
            ))
          (local.set $p (local.get $start))
          (block $done (loop $next
            (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $s (f32x4.splat (f32.load (i32.add (local.get $values) (i32.shl (local.get $p) (i32.const 2))))))
            (local.set $row (i32.add (local.get $b_block)
              (i32.mul (i32.load (i32.add (local.get $indices) (i32.shl (local.get $p) (i32.const 2)))) (local.get $stride))))
            (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $s) (v128.load offset=0 (local.get $row)))))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $next)))
          (if (local.get $relu)
            (then
              (local.set $acc0 (f32x4.pmax (v128.const i32x4 0 0 0 0) (local.get $acc0)))
            ))
          (v128.store offset=0 (local.get $out_block) (local.get $acc0))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $narrow_next)))

      (block $single_done (loop $single_next
        (br_if $single_done (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $b_block (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $sum (f32.const 0))
        (if (local.get $bias)
          (then (local.set $sum (f32.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2)))))))
        (local.set $p (local.get $start))
        (block $done (loop $next
          (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
          (local.set $sum (f32.add (local.get $sum)
            (f32.mul (f32.load (i32.add (local.get $values) (i32.shl (local.get $p) (i32.const 2))))
              (f32.load (i32.add (local.get $b_block)
                (i32.mul (i32.load (i32.add (local.get $indices) (i32.shl (local.get $p) (i32.const 2)))) (local.get $stride)))))))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (br $next)))
        (if (local.get $relu)
          (then (local.set $sum (select (local.get $sum) (f32.const 0) (f32.lt (f32.const 0) (local.get $sum))))))
        (f32.store (i32.add (local.get $out_row) (i32.shl (local.get $j) (i32.const 2))) (local.get $sum))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $single_next)))

      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows_next))))

  ;; out = A[batch_rows, :]^T dy, with dy [rows, n] and out [A's columns, n]:
  ;; out starts at 0, then each batch row r in turn adds value * dy[r, :] to
  ;; out[column, :] for each of its nonzeros. Each element of out thus sums
  ;; over the batch rows in increasing order, as the dense product does.
  (func (export "scatter_matmul")
    (param $values i32) (param $indices i32) (param $starts i32) (param $batch_rows i32)
    (param $rows i32) (param $dy i32) (param $n i32) (param $out i32) (param $columns i32)
    (local $r i32) (local $p i32) (local $start i32) (local $end i32) (local $j i32)
    (local $stride i32) (local $row i32) (local $s v128) (local $value f32)
    (local $dy_row i32) (local $out_row i32) (local $source i32) (local $target i32)
    (local.set $stride (i32.shl (local.get $n) (i32.const 2)))
    (memory.fill (local.get $out) (i32.const 0) (i32.mul (local.get $columns) (local.get $stride)))
    (local.set $r (i32.const 0))
    (block $rows_done (loop $rows_next
      (br_if $rows_done (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $row (i32.add (local.get $starts)
        (i32.shl (i32.load (i32.add (local.get $batch_rows) (i32.shl (local.get $r) (i32.const 2)))) (i32.const 2))))
      (local.set $start (i32.load (local.get $row)))
      (local.set $end (i32.load offset=4 (local.get $row)))
      (local.set $dy_row (i32.add (local.get $dy) (i32.mul (local.get $r) (local.get $stride))))
      (local.set $p (local.get $start))
      (block $nonzeros_done (loop $nonzeros_next
        (br_if $nonzeros_done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $value (f32.load (i32.add (local.get $values) (i32.shl (local.get $p) (i32.const 2)))))
        (local.set $s (f32x4.splat (local.get $value)))
        (local.set $out_row (i32.add (local.get $out)
          (i32.mul (i32.load (i32.add (local.get $indices) (i32.shl (local.get $p) (i32.const 2)))) (local.get $stride))))
        (local.set $j (i32.const 0))

        (block $wide_done (loop $wide_next
          (br_if $wide_done (i32.gt_u (i32.add (local.get $j) (i32.const 16)) (local.get $n)))
          (local.set $source (i32.add (local.get $dy_row) (i32.shl (local.get $j) (i32.const 2))))
          (local.set $target (i32.add (local.get $out_row) (i32.shl (local.get $j) (i32.const 2))))
            (v128.store offset=0 (local.get $target) (f32x4.add (v128.load offset=0 (local.get $target))
              (f32x4.mul (local.get $s) (v128.load offset=0 (local.get $source)))))
            (v128.store offset=16 (local.get $target) (f32x4.add (v128.load offset=16 (local.get $target))
              (f32x4.mul (local.get $s) (v128.load offset=16 (local.get $source)))))
            (v128.store offset=32 (local.get $target) (f32x4.add (v128.load offset=32 (local.get $target))
              (f32x4.mul (local.get $s) (v128.load offset=32 (local.get $source)))))
            (v128.store offset=48 (local.get $target) (f32x4.add (v128.load offset=48 (local.get $target))
              (f32x4.mul (local.get $s) (v128.load offset=48 (local.get $source)))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br $wide_next)))

        (block $narrow_done (loop $narrow_next
          (br_if $narrow_done (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
          (local.set $source (i32.add (local.get $dy_row) (i32.shl (local.get $j) (i32.const 2))))
          (local.set $target (i32.add (local.get $out_row) (i32.shl (local.get $j) (i32.const 2))))
            (v128.store offset=0 (local.get $target) (f32x4.add (v128.load offset=0 (local.get $target))
              (f32x4.mul (local.get $s) (v128.load offset=0 (local.get $source)))))
          (local.set $j (i32.add (local.get $j) (i32.const 4)))
          (br $narrow_next)))

        (block $single_done (loop $single_next
          (br_if $single_done (i32.ge_u (local.get $j) (local.get $n)))
          (local.set $target (i32.add (local.get $out_row) (i32.shl (local.get $j) (i32.const 2))))
          (f32.store (local.get $target) (f32.add (f32.load (local.get $target))
            (f32.mul (local.get $value) (f32.load (i32.add (local.get $dy_row) (i32.shl (local.get $j) (i32.const 2)))))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $single_next)))

        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $nonzeros_next)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows_next))))

  ;; One step of Adam over `size` elements, in the order of TF.js 4.22's
  ;; AdamOptimizer, one float32 operation at a time:
  ;;   g' = l2 * (w * 2) + g        (the L2 penalty's gradient; only when has_l2 is 1)
  ;;   m' = m * beta1 + g' * (1 - beta1)
  ;;   v' = v * beta2 + (g' * g') * (1 - beta2)
  ;;   w' = ((m' / corr1) / (sqrt(v' / corr2) + epsilon)) * -lr + w
  ;; corr1 and corr2 are 1 - beta1^t and 1 - beta2^t, rounded to float32 by
  ;; the caller. Division and square root are correctly rounded in
  ;; WebAssembly, as in the backend's kernels. The sum of w * w (the L2
  ;; penalty without its factor, summed four lanes at a time) goes to squares.
  (func (export "adam")
    (param $w i32) (param $g i32) (param $m i32) (param $v i32) (param $size i32)
    (param $w_out i32) (param $m_out i32) (param $v_out i32) (param $squares i32)
    (param $beta1 f32) (param $one_minus_beta1 f32) (param $beta2 f32) (param $one_minus_beta2 f32)
    (param $corr1 f32) (param $corr2 f32) (param $epsilon f32) (param $negative_lr f32)
    (param $has_l2 i32) (param $l2 f32)
    (local $i i32) (local $at i32) (local $vector_end i32)
    (local $b1 v128) (local $c1 v128) (local $b2 v128) (local $c2 v128)
    (local $k1 v128) (local $k2 v128) (local $eps v128) (local $nlr v128) (local $l2v v128)
    (local $two v128) (local $wv v128) (local $gv v128) (local $m1 v128) (local $v1 v128) (local $sq v128)
    (local $ws f32) (local $gs f32) (local $ms f32) (local $vs f32) (local $sum f32)
    (local.set $b1 (f32x4.splat (local.get $beta1)))
    (local.set $c1 (f32x4.splat (local.get $one_minus_beta1)))
    (local.set $b2 (f32x4.splat (local.get $beta2)))
    (local.set $c2 (f32x4.splat (local.get $one_minus_beta2)))
    (local.set $k1 (f32x4.splat (local.get $corr1)))
    (local.set $k2 (f32x4.splat (local.get $corr2)))
    (local.set $eps (f32x4.splat (local.get $epsilon)))
    (local.set $nlr (f32x4.splat (local.get $negative_lr)))
    (local.set $l2v (f32x4.splat (local.get $l2)))
    (local.set $two (f32x4.splat (f32.const 2)))
    (local.set $sq (v128.const i32x4 0 0 0 0))
    (local.set $vector_end (i32.and (local.get $size) (i32.const -4)))
    (local.set $i (i32.const 0))
    (block $vectors_done (loop $vectors_next
      (br_if $vectors_done (i32.ge_u (local.get $i) (local.get $vector_end)))
      (local.set $at (i32.shl (local.get $i) (i32.const 2)))
      (local.set $wv (v128.load (i32.add (local.get $w) (local.get $at))))
      (local.set $gv (v128.load (i32.add (local.get $g) (local.get $at))))
      (if (local.get $has_l2)
        (then (local.set $gv (f32x4.add
          (f32x4.mul (local.get $l2v) (f32x4.mul (local.get $wv) (local.get $two)))
          (local.get $gv)))))
      (local.set $sq (f32x4.add (local.get $sq) (f32x4.mul (local.get $wv) (local.get $wv))))
      (local.set $m1 (f32x4.add
        (f32x4.mul (v128.load (i32.add (local.get $m) (local.get $at))) (local.get $b1))
        (f32x4.mul (local.get $gv) (local.get $c1))))
      (local.set $v1 (f32x4.add
        (f32x4.mul (v128.load (i32.add (local.get $v) (local.get $at))) (local.get $b2))
        (f32x4.mul (f32x4.mul (local.get $gv) (local.get $gv)) (local.get $c2))))
      (v128.store (i32.add (local.get $m_out) (local.get $at)) (local.get $m1))
      (v128.store (i32.add (local.get $v_out) (local.get $at)) (local.get $v1))
      (v128.store (i32.add (local.get $w_out) (local.get $at))
        (f32x4.add
          (f32x4.mul
            (f32x4.div (f32x4.div (local.get $m1) (local.get $k1))
              (f32x4.add (f32x4.sqrt (f32x4.div (local.get $v1) (local.get $k2))) (local.get $eps)))
            (local.get $nlr))
          (local.get $wv)))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $vectors_next)))
    (local.set $sum (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $sq)) (f32x4.extract_lane 1 (local.get $sq)))
      (f32.add (f32x4.extract_lane 2 (local.get $sq)) (f32x4.extract_lane 3 (local.get $sq)))))
    (block $singles_done (loop $singles_next
      (br_if $singles_done (i32.ge_u (local.get $i) (local.get $size)))
      (local.set $at (i32.shl (local.get $i) (i32.const 2)))
      (local.set $ws (f32.load (i32.add (local.get $w) (local.get $at))))
      (local.set $gs (f32.load (i32.add (local.get $g) (local.get $at))))
      (if (local.get $has_l2)
        (then (local.set $gs (f32.add
          (f32.mul (local.get $l2) (f32.mul (local.get $ws) (f32.const 2)))
          (local.get $gs)))))
      (local.set $sum (f32.add (local.get $sum) (f32.mul (local.get $ws) (local.get $ws))))
      (local.set $ms (f32.add
        (f32.mul (f32.load (i32.add (local.get $m) (local.get $at))) (local.get $beta1))
        (f32.mul (local.get $gs) (local.get $one_minus_beta1))))
      (local.set $vs (f32.add
        (f32.mul (f32.load (i32.add (local.get $v) (local.get $at))) (local.get $beta2))
        (f32.mul (f32.mul (local.get $gs) (local.get $gs)) (local.get $one_minus_beta2))))
      (f32.store (i32.add (local.get $m_out) (local.get $at)) (local.get $ms))
      (f32.store (i32.add (local.get $v_out) (local.get $at)) (local.get $vs))
      (f32.store (i32.add (local.get $w_out) (local.get $at))
        (f32.add
          (f32.mul
            (f32.div (f32.div (local.get $ms) (local.get $corr1))
              (f32.add (f32.sqrt (f32.div (local.get $vs) (local.get $corr2))) (local.get $epsilon)))
            (local.get $negative_lr))
          (local.get $ws)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $singles_next)))
    (f32.store (local.get $squares) (local.get $sum)))
)

