/**
 * Ports of Go `math` routines whose results differ from the JS built-ins, so PromQL answers
 * match Prometheus (linux/amd64 build) bit for bit: the amd64 assembly Exp and Log, and the pure-Go
 * Frexp, Ldexp, Pow, Log2, Log10, Log1p. Go compiles pure-Go code for amd64 without fusing a*b+c;
 * only the Exp assembly uses FMA instructions explicitly (when the CPU has them). Bit access goes
 * through one shared 8-byte scratch buffer; nothing allocates per call.
 */
import { fma } from './gofma.js';

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
// Little-endian hosts only (x86, arm): U32[1] holds the sign, exponent and high mantissa bits.
const HI = 1;
const LO = 0;

const SMALLEST_NORMAL = 2.2250738585072014e-308;

let frexpExp = 0;

/** Go math.Frexp: returns the fraction in [0.5, 1); the exponent is left in `lastFrexpExp()`. */
export function frexp(x: number): number {
  frexpExp = 0;
  if (x === 0 || x !== x || x === Infinity || x === -Infinity) return x;
  let e = 0;
  if (Math.abs(x) < SMALLEST_NORMAL) {
    x *= 4503599627370496; // 2^52
    e = -52;
  }
  F64[0] = x;
  const hi = U32[HI]!;
  e += ((hi >>> 20) & 0x7ff) - 1022;
  U32[HI] = (hi & ~(0x7ff << 20)) | (1022 << 20);
  frexpExp = e;
  return F64[0]!;
}

export function lastFrexpExp(): number {
  return frexpExp;
}

/** Go math.Ldexp: frac × 2^exp with a single rounding for subnormal results. */
export function ldexp(frac: number, exp: number): number {
  if (frac === 0 || frac !== frac || frac === Infinity || frac === -Infinity) return frac;
  const f = frexp(frac);
  exp += frexpExp;
  // f is in [0.5, 1): its biased exponent is 1022.
  exp += 1022 - 1023;
  if (exp < -1075) return f < 0 ? -0 : 0;
  if (exp > 1023) return f < 0 ? -Infinity : Infinity;
  let m = 1;
  if (exp < -1022) {
    exp += 53;
    m = 1.1102230246251565e-16; // 2^-53
  }
  F64[0] = f;
  U32[HI] = (U32[HI]! & ~(0x7ff << 20)) | ((exp + 1023) << 20);
  return m * F64[0]!;
}

function isOddInt(x: number): boolean {
  if (Math.abs(x) >= 9007199254740992) return false; // every float ≥ 2^53 is even
  return Number.isInteger(x) && Math.abs(x % 2) === 1;
}

/** Go math.Pow, including its special cases and its repeated-squaring integer part. */
export function goPow(x: number, y: number): number {
  if (y === 0 || x === 1) return 1;
  if (y === 1) return x;
  if (x !== x || y !== y) return NaN;
  if (x === 0) {
    const neg = Object.is(x, -0);
    if (y < 0) return neg && isOddInt(y) ? -Infinity : Infinity;
    return neg && isOddInt(y) ? x : 0;
  }
  if (y === Infinity || y === -Infinity) {
    if (x === -1) return 1;
    return (Math.abs(x) < 1) === (y === Infinity) ? 0 : Infinity;
  }
  if (x === Infinity || x === -Infinity) {
    if (x === -Infinity) return goPow(1 / x, -y);
    return y < 0 ? 0 : Infinity;
  }
  if (y === 0.5) return Math.sqrt(x);
  if (y === -0.5) return 1 / Math.sqrt(x);

  const ay = Math.abs(y);
  let yi = Math.trunc(ay);
  let yf = ay - yi;
  if (yf !== 0 && x < 0) return NaN;
  if (yi >= 9223372036854775808) {
    if (x === -1) return 1;
    return (Math.abs(x) < 1) === y > 0 ? 0 : Infinity;
  }
  let a1 = 1;
  let ae = 0;
  if (yf !== 0) {
    if (yf > 0.5) {
      yf--;
      yi++;
    }
    a1 = goExp(yf * goLog(x));
  }
  let x1 = frexp(x);
  let xe = frexpExp;
  for (let i = yi; i !== 0; i = Math.floor(i / 2)) {
    if (xe < -4096 || 4096 < xe) {
      ae += xe;
      break;
    }
    if (i % 2 === 1) {
      a1 *= x1;
      ae += xe;
    }
    x1 *= x1;
    xe *= 2;
    if (x1 < 0.5) {
      x1 += x1;
      xe--;
    }
  }
  if (y < 0) {
    a1 = 1 / a1;
    ae = -ae;
  }
  return ldexp(a1, ae);
}

/** Go math.Log2: exact for powers of two, else Log(frac)×(1/Ln2) + exp. */
export function goLog2(x: number): number {
  const frac = frexp(x);
  const e = frexpExp;
  if (frac === 0.5) return e - 1;
  return goLog(frac) * Math.LOG2E + e;
}

/** Go math.Log10 = Log(x) × (1/Ln10). */
export function goLog10(x: number): number {
  return goLog(x) * Math.LOG10E;
}

// ---- Exp: port of src/math/exp_amd64.s (archExp) ----

let expUsesFma = true;

/**
 * Go's amd64 Exp takes a VFMADD path when the CPU has AVX2 and FMA (every x86-64 server since
 * Haswell/Piledriver, and the machines this was checked on) and a MULSD/ADDSD path otherwise;
 * the two differ in the last bit for some inputs. Default: the FMA path.
 */
export function setGoExpFma(on: boolean): void {
  expUsesFma = on;
}

const EXP_LOG2E = 1.4426950408889634;
const EXP_LN2U = 0.69314718055966295651160180568695068359375;
const EXP_LN2L = 0.28235290563031577122588448175013436025525412068e-12;
const EXP_OVERFLOW = 7.09782712893384e2;
const EXP_C3 = 1.6666666666666666667e-1;
const EXP_C4 = 4.1666666666666666667e-2;
const EXP_C5 = 8.3333333333333333333e-3;
const EXP_C6 = 1.3888888888888888889e-3;
const EXP_C7 = 1.9841269841269841270e-4;
const EXP_C8 = 2.4801587301587301587e-5;
const TWO52 = 4503599627370496;

/** 2^(e-1023) for a biased exponent 1 ≤ e ≤ 2046, built from its bits. */
function pow2Biased(e: number): number {
  U32[HI] = e << 20;
  U32[LO] = 0;
  return F64[0]!;
}

/**
 * Go math.Exp on linux/amd64: the Shibata/SLEEF kernel of exp_amd64.s — k = round(x·log2 e)
 * (CVTSD2SL, ties to even), r = (x − k·ln2) / 16, a degree-8 Taylor polynomial for e^r − 1,
 * four doublings (y ← y·(y+2)), +1, then ×2^k (two steps for subnormal results).
 */
export function goExp(x: number): number {
  if (x !== x || x === Infinity) return x;
  if (x === -Infinity) return 0;
  if (x > EXP_OVERFLOW) return Infinity;
  const y = EXP_LOG2E * x;
  if (y < -2000) return 0; // k + 1023 < -52 (CVTSD2SL's out-of-range result included)
  // CVTSD2SL with the default rounding mode (nearest, ties to even); +0 never -0.
  const k = (y >= 0 ? y + TWO52 - TWO52 : -(-y + TWO52 - TWO52)) + 0;
  const e = k + 1023;
  if (e < -52) return 0;
  if (e >= 0x7ff) return Infinity;
  let r: number;
  if (expUsesFma) {
    r = fma(-k, EXP_LN2U, x);
    r = fma(-k, EXP_LN2L, r);
    r *= 0.0625;
    let p = fma(EXP_C8, r, EXP_C7);
    p = fma(p, r, EXP_C6);
    p = fma(p, r, EXP_C5);
    p = fma(p, r, EXP_C4);
    p = fma(p, r, EXP_C3);
    p = fma(p, r, 0.5);
    p = fma(p, r, 1);
    r *= p;
    r *= r + 2;
    r *= r + 2;
    r *= r + 2;
    r = fma(r + 2, r, 1);
  } else {
    r = x - k * EXP_LN2U;
    r -= k * EXP_LN2L;
    r *= 0.0625;
    let p = EXP_C8 * r + EXP_C7;
    p = p * r + EXP_C6;
    p = p * r + EXP_C5;
    p = p * r + EXP_C4;
    p = p * r + EXP_C3;
    p = p * r + 0.5;
    p = p * r + 1;
    r *= p;
    r *= 2 + r;
    r *= 2 + r;
    r *= 2 + r;
    r *= 2 + r;
    r += 1;
  }
  if (e > 0) return r * pow2Biased(e);
  r *= pow2Biased(e + 0x3fe);
  return r * pow2Biased(1);
}

// ---- Log: port of src/math/log_amd64.s (archLog) ----

const LOG_HSQRT2 = 7.07106781186547524401e-1;
const LOG_LN2HI = 6.93147180369123816490e-1;
const LOG_LN2LO = 1.90821492927058770002e-10;
const LOG_L1 = 6.666666666666735130e-1;
const LOG_L2 = 3.999999999940941908e-1;
const LOG_L3 = 2.857142874366239149e-1;
const LOG_L4 = 2.222219843214978396e-1;
const LOG_L5 = 1.818357216161805012e-1;
const LOG_L6 = 1.531383769920937332e-1;
const LOG_L7 = 1.479819860511658591e-1;

/**
 * Go math.Log on linux/amd64 (log_amd64.s). Like the assembly, it takes the fraction and exponent
 * straight from the bits, so subnormal inputs are not normalised first (ln(5e-324) ≈ −709.09), and
 * it halves k when f1 ≤ √2/2 (the pure-Go code uses <).
 */
export function goLog(x: number): number {
  if (x === 0) return -Infinity;
  if (x < 0) return NaN;
  if (x !== x || x === Infinity) return x;
  F64[0] = x;
  const hi = U32[HI]!;
  let k = ((hi >>> 20) & 0x7ff) - 1022;
  U32[HI] = (hi & 0x000fffff) | 0x3fe00000;
  let f1 = F64[0]!;
  if (f1 <= LOG_HSQRT2) {
    k -= 1;
    f1 *= 2;
  }
  const f = f1 - 1;
  const s = f / (2 + f);
  const s2 = s * s;
  const s4 = s2 * s2;
  const t1 = s2 * (((LOG_L7 * s4 + LOG_L5) * s4 + LOG_L3) * s4 + LOG_L1);
  const t2 = s4 * ((LOG_L6 * s4 + LOG_L4) * s4 + LOG_L2);
  const R = t1 + t2;
  const hfsq = 0.5 * f * f;
  return k * LOG_LN2HI - (hfsq - (s * (R + hfsq) + k * LOG_LN2LO) - f);
}

// ---- Log1p: port of src/math/log1p.go (pure Go on amd64) ----

const LN2_HI = 6.93147180369123816490e-1;
const LN2_LO = 1.90821492927058770002e-10;
const L1P_SQRT2M1 = 4.142135623730950488017e-1;
const L1P_SQRT2HALFM1 = -2.928932188134524755992e-1;
const L1P_SMALL = 1 / (1 << 29);
const L1P_TINY = 1 / 18014398509481984; // 2^-54
const L1P_LP1 = 6.666666666666735130e-1;
const L1P_LP2 = 3.999999999940941908e-1;
const L1P_LP3 = 2.857142874366239149e-1;
const L1P_LP4 = 2.222219843214978396e-1;
const L1P_LP5 = 1.818357216161805012e-1;
const L1P_LP6 = 1.531383769920937332e-1;
const L1P_LP7 = 1.479819860511658591e-1;

export function goLog1p(x: number): number {
  if (x < -1 || x !== x) return NaN;
  if (x === -1) return -Infinity;
  if (x === Infinity) return Infinity;
  const absx = Math.abs(x);
  let f = 0;
  let iuZero = false; // Go's `iu == 0` test below
  let k = 1;
  if (absx < L1P_SQRT2M1) {
    if (absx < L1P_SMALL) {
      if (absx < L1P_TINY) return x;
      return x - x * x * 0.5;
    }
    if (x > L1P_SQRT2HALFM1) {
      k = 0;
      f = x; // iu = 1
    }
  }
  let c = 0;
  if (k !== 0) {
    let u: number;
    if (absx < TWO52 * 2) {
      u = 1 + x;
      F64[0] = u;
      k = (U32[HI]! >>> 20) - 1023;
      c = k > 0 ? 1 - (u - x) : x - (u - 1);
      c /= u;
    } else {
      u = x;
      F64[0] = u;
      k = (U32[HI]! >>> 20) - 1023;
      c = 0;
    }
    // F64 still holds u: iu = mantissa bits (iuHi:iuLo).
    const iuHi = U32[HI]! & 0x000fffff;
    const iuLo = U32[LO]!;
    if (iuHi < 0x6a09e || (iuHi === 0x6a09e && iuLo < 0x667f3bcd)) {
      // below the mantissa of √2: normalise u into [1, √2)
      U32[HI] = iuHi | 0x3ff00000;
      iuZero = iuHi === 0 && iuLo === 0;
    } else {
      k++;
      U32[HI] = iuHi | 0x3fe00000; // u/2
      // iu = (2^52 − iu) >> 2, zero only for the three largest mantissas
      iuZero = iuHi === 0xfffff && iuLo >= 0xfffffffd;
    }
    u = F64[0]!;
    f = u - 1;
  }
  const hfsq = 0.5 * f * f;
  if (iuZero) {
    if (f === 0) {
      if (k === 0) return 0;
      c += k * LN2_LO;
      return k * LN2_HI + c;
    }
    const R = hfsq * (1 - 0.66666666666666666 * f);
    if (k === 0) return f - R;
    return k * LN2_HI - (R - (k * LN2_LO + c) - f);
  }
  const s = f / (2 + f);
  const z = s * s;
  const R = z * (L1P_LP1 + z * (L1P_LP2 + z * (L1P_LP3 + z * (L1P_LP4 + z * (L1P_LP5 + z * (L1P_LP6 + z * L1P_LP7))))));
  if (k === 0) return f - (hfsq - s * (hfsq + R));
  return k * LN2_HI - (hfsq - (s * (hfsq + R) + (k * LN2_LO + c)) - f);
}
