/**
 * Go math's hyperbolic functions and their inverses (pure Go on amd64: sinh.go, tanh.go,
 * asinh.go, acosh.go, atanh.go), on top of the amd64 Exp/Log ports and the Log1p port.
 */
import { goExp, goLog, goLog1p } from './gomath.js';

const SINH_P0 = -0.6307673640497716991184787251e6;
const SINH_P1 = -0.8991272022039509355398013511e5;
const SINH_P2 = -0.2894211355989563807284660366e4;
const SINH_P3 = -0.2630563213397497062819489e2;
const SINH_Q0 = -0.6307673640497716991212077277e6;
const SINH_Q1 = 0.1521517378790019070696485176e5;
const SINH_Q2 = -0.173678953558233699533450911e3;

export function goSinh(x: number): number {
  let sign = false;
  if (x < 0) {
    x = -x;
    sign = true;
  }
  let temp: number;
  if (x > 21) temp = goExp(x) * 0.5;
  else if (x > 0.5) {
    const ex = goExp(x);
    temp = (ex - 1 / ex) * 0.5;
  } else {
    const sq = x * x;
    temp = (((SINH_P3 * sq + SINH_P2) * sq + SINH_P1) * sq + SINH_P0) * x;
    temp = temp / (((sq + SINH_Q2) * sq + SINH_Q1) * sq + SINH_Q0);
  }
  return sign ? -temp : temp;
}

export function goCosh(x: number): number {
  x = Math.abs(x);
  if (x > 21) return goExp(x) * 0.5;
  const ex = goExp(x);
  return (ex + 1 / ex) * 0.5;
}

const TANH_P0 = -9.64399179425052238628e-1;
const TANH_P1 = -9.92877231001918586564e1;
const TANH_P2 = -1.61468768441708447952e3;
const TANH_Q0 = 1.12811678491632931402e2;
const TANH_Q1 = 2.23548839060100448583e3;
const TANH_Q2 = 4.84406305325125486048e3;
const TANH_MAXLOG = 8.8029691931113054295988e1; // log(2**127)

export function goTanh(x: number): number {
  let z = Math.abs(x);
  if (z > 0.5 * TANH_MAXLOG) return x < 0 ? -1 : 1;
  if (z >= 0.625) {
    const s = goExp(2 * z);
    z = 1 - 2 / (s + 1);
    return x < 0 ? -z : z;
  }
  if (x === 0 || x !== x) return x;
  const s = x * x;
  return x + (x * s * ((TANH_P0 * s + TANH_P1) * s + TANH_P2)) / (((s + TANH_Q0) * s + TANH_Q1) * s + TANH_Q2);
}

const LN2 = 6.93147180559945286227e-1;
const NEAR_ZERO = 1 / (1 << 28);
const LARGE = 1 << 28;

export function goAsinh(x: number): number {
  if (x !== x || x === Infinity || x === -Infinity) return x;
  let sign = false;
  if (x < 0) {
    x = -x;
    sign = true;
  }
  let temp: number;
  if (x > LARGE) temp = goLog(x) + LN2;
  else if (x > 2) temp = goLog(2 * x + 1 / (Math.sqrt(x * x + 1) + x));
  else if (x < NEAR_ZERO) temp = x;
  else temp = goLog1p(x + (x * x) / (1 + Math.sqrt(1 + x * x)));
  return sign ? -temp : temp;
}

export function goAcosh(x: number): number {
  if (x < 1 || x !== x) return NaN;
  if (x === 1) return 0;
  if (x >= LARGE) return goLog(x) + LN2;
  if (x > 2) return goLog(2 * x - 1 / (x + Math.sqrt(x * x - 1)));
  const t = x - 1;
  return goLog1p(t + Math.sqrt(2 * t + t * t));
}

export function goAtanh(x: number): number {
  if (x < -1 || x > 1 || x !== x) return NaN;
  if (x === 1) return Infinity;
  if (x === -1) return -Infinity;
  let sign = false;
  if (x < 0) {
    x = -x;
    sign = true;
  }
  let temp: number;
  if (x < NEAR_ZERO) temp = x;
  else if (x < 0.5) {
    temp = x + x;
    temp = 0.5 * goLog1p(temp + (temp * x) / (1 - x));
  } else temp = 0.5 * goLog1p((x + x) / (1 - x));
  return sign ? -temp : temp;
}
