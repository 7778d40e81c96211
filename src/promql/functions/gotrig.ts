/** Go math's Cephes-based inverse trigonometric functions (pure Go on amd64). */

function xatan(x: number): number {
  const P0 = -8.750608600031904122785e-1;
  const P1 = -1.615753718733365076637e1;
  const P2 = -7.500855792314704667340e1;
  const P3 = -1.228866684490136173410e2;
  const P4 = -6.485021904942025371773e1;
  const Q0 = +2.485846490142306297962e1;
  const Q1 = +1.650270098316988542046e2;
  const Q2 = +4.328810604912902668951e2;
  const Q3 = +4.853903996359136964868e2;
  const Q4 = +1.945506571482613964425e2;
  let z = x * x;
  z = (z * ((((P0 * z + P1) * z + P2) * z + P3) * z + P4)) / (((((z + Q0) * z + Q1) * z + Q2) * z + Q3) * z + Q4);
  z = x * z + x;
  return z;
}

const MOREBITS = 6.12323399573676588613e-17;
const TAN3PIO8 = 2.41421356237309504880;

function satan(x: number): number {
  if (x <= 0.66) return xatan(x);
  if (x > TAN3PIO8) return Math.PI / 2 - xatan(1 / x) + MOREBITS;
  return Math.PI / 4 + xatan((x - 1) / (x + 1)) + 0.5 * MOREBITS;
}

export function goAtan(x: number): number {
  if (x === 0) return x;
  if (x > 0) return satan(x);
  return -satan(-x);
}

export function goAsin(x: number): number {
  if (x === 0) return x;
  let sign = false;
  if (x < 0) {
    x = -x;
    sign = true;
  }
  if (x > 1) return NaN;
  let temp = Math.sqrt(1 - x * x);
  if (x > 0.7) temp = Math.PI / 2 - satan(temp / x);
  else temp = satan(x / temp);
  return sign ? -temp : temp;
}

export function goAcos(x: number): number {
  return Math.PI / 2 - goAsin(x);
}

function copysign(x: number, y: number): number {
  const neg = y < 0 || Object.is(y, -0);
  return neg ? -Math.abs(x) : Math.abs(x);
}

export function goAtan2(y: number, x: number): number {
  if (y !== y || x !== x) return NaN;
  if (y === 0) {
    if (x >= 0 && !Object.is(x, -0)) return copysign(0, y);
    return copysign(Math.PI, y);
  }
  if (x === 0) return copysign(Math.PI / 2, y);
  if (x === Infinity || x === -Infinity) {
    if (x === Infinity) return y === Infinity || y === -Infinity ? copysign(Math.PI / 4, y) : copysign(0, y);
    return y === Infinity || y === -Infinity ? copysign((3 * Math.PI) / 4, y) : copysign(Math.PI, y);
  }
  if (y === Infinity || y === -Infinity) return copysign(Math.PI / 2, y);
  const q = goAtan(y / x);
  if (x < 0) return q <= 0 ? q + Math.PI : q - Math.PI;
  return q;
}
