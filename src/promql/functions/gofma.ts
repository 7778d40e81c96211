/**
 * Fused multiply-add (one rounding of a×b+c) in plain double arithmetic, for porting the amd64
 * assembly kernels of Go's math package that use VFMADD/VFNMADD when the CPU has FMA.
 *
 * a×b is split exactly into p + e (Dekker/Veltkamp), then RN(p + e + c) is formed with the
 * Boldo–Melquiond correctly rounded three-term sum: two error-free TwoSums and one addition
 * rounded to odd. Nothing allocates.
 *
 * Domain: exact as long as |a|, |b| < 2^995 and the partial results neither overflow nor fall
 * below 2^-969 (the error terms must stay representable). The Go kernels ported here only feed it
 * reduced arguments and polynomial coefficients, far inside that range; special operands (±0, ±Inf,
 * NaN, a zero product) take the plain a*b+c path, which is exact for them.
 */
const SPLIT = 134217729; // 2^27 + 1
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
// Little-endian hosts only (x86, arm).
const HI = 1;
const LO = 0;

export function fma(a: number, b: number, c: number): number {
  const p = a * b;
  if (p === 0 || p - p !== 0 || c - c !== 0) return p + c;
  // a*b = p + e exactly.
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  const e = ah * bh - p + ah * bl + al * bh + al * bl;
  // (uh, ul) = TwoSum(c, e)
  const uh = c + e;
  let bv = uh - c;
  const ul = c - (uh - bv) + (e - bv);
  // (th, tl) = TwoSum(p, uh)
  const th = p + uh;
  bv = th - p;
  const tl = p - (th - bv) + (uh - bv);
  // v = RO(tl + ul): round to odd.
  let v = tl + ul;
  bv = v - tl;
  const ve = tl - (v - bv) + (ul - bv);
  if (ve !== 0) {
    F64[0] = v;
    const lo = U32[LO]!;
    if ((lo & 1) === 0) {
      // v is even, so the odd neighbour on the side of the exact sum is the odd rounding.
      if (v > 0 === ve > 0) {
        U32[LO] = lo + 1;
      } else if (lo === 0) {
        U32[LO] = 0xffffffff;
        U32[HI] = U32[HI]! - 1;
      } else {
        U32[LO] = lo - 1;
      }
      v = F64[0]!;
    }
  }
  return th + v;
}
