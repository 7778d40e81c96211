/**
 * Ports of Go `math` routines whose results differ from the JS built-ins, so PromQL answers
 * match Prometheus (linux/amd64 build, no FMA fusion) bit for bit. Bit access goes through one
 * shared 8-byte scratch buffer; nothing allocates per call.
 */
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
    a1 = Math.exp(yf * Math.log(x));
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

/** Go math.Log2: exact for powers of two, else Log(frac)/Ln2 + exp. */
export function goLog2(x: number): number {
  const frac = frexp(x);
  const e = frexpExp;
  if (frac === 0.5) return e - 1;
  return Math.log(frac) * Math.LOG2E + e;
}

/** Go math.Log10 = Log(x) × (1/Ln10). */
export function goLog10(x: number): number {
  return Math.log(x) * Math.LOG10E;
}

void LO;
