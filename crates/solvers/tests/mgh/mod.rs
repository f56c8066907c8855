//! Seventeen least-squares problems of Moré, Garbow and Hillstrom, "Testing
//! unconstrained optimization software", ACM TOMS 7(1):17–41, 1981 (MGH), each written
//! once from its published definition: residuals fᵢ(x), the standard starting point x₀,
//! and the published minima.
//!
//! **Scale.** MGH minimize F(x) = Σ fᵢ(x)²; our objective is f(x) = ½ Σ fᵢ(x)², so our
//! f* = F*/2. [`Minimum::printed`] keeps MGH's F* exactly as printed, with its digits.

#[path = "../../../../tests/support/docs.rs"]
pub mod docs;
pub mod residual;

use num_dual::DualNum;
use saddle_solvers::Objective;

pub use residual::{Residuals, SumOfSquares};

/// A minimum value published by MGH, with where they put it.
#[derive(Clone, Debug)]
pub struct Minimum {
    /// MGH's F* = Σ fᵢ², as printed.
    pub printed: f64,
    /// One unit in the last printed digit of F* (0 when F* is exact, i.e. F* = 0). MGH
    /// print truncated values ("48.9842..."), so the true F* lies within one unit.
    pub unit: f64,
    /// Minimizers MGH print, each coordinate as (printed value, one unit in its last
    /// printed digit; 0 if exact). Empty when MGH give only the value, or the point lies
    /// at infinity.
    pub at: Vec<Vec<(f64, f64)>>,
    /// How MGH describe the minimum.
    pub label: &'static str,
}

impl Minimum {
    /// Our f* = F*/2.
    pub fn f(&self) -> f64 {
        self.printed / 2.0
    }

    /// How close our f must come to f* to count as reaching this minimum: one unit in
    /// the last printed digit of F* (that is, unit/2 on our scale), or
    /// [`ZERO_RESIDUAL_TOL`] for F* = 0.
    pub fn tolerance(&self) -> f64 {
        if self.unit == 0.0 { ZERO_RESIDUAL_TOL } else { self.unit / 2.0 }
    }

    /// Whether `f` (our scale) reaches this minimum.
    pub fn reached_by(&self, f: f64) -> bool {
        (f - self.f()).abs() <= self.tolerance()
    }

    /// An exact zero-residual minimum, at exactly known points.
    fn zero(at: &[&[f64]], label: &'static str) -> Minimum {
        Minimum {
            printed: 0.0,
            unit: 0.0,
            at: at.iter().map(|x| x.iter().map(|&v| (v, 0.0)).collect()).collect(),
            label,
        }
    }
}

/// f ≤ 1e-8 (F ≤ 2·10⁻⁸, ‖r‖ ≤ 1.5·10⁻⁴) counts as reaching a published F* = 0. Not
/// tighter, because at a singular minimizer (Powell singular: f ~ ‖x − x*‖⁴ while
/// ‖∇f‖ ~ ‖x − x*‖³) a gradient test stops a solver at f ~ ‖∇f‖^{4/3}; the regular
/// zero-residual minimizers are reached to f ≲ 1e-12 by every method that converges.
pub const ZERO_RESIDUAL_TOL: f64 = 1e-8;

/// One MGH problem.
pub struct Problem {
    /// MGH's number for the problem.
    pub number: usize,
    /// Its name.
    pub name: &'static str,
    /// n.
    pub n: usize,
    /// m.
    pub m: usize,
    /// The standard starting point.
    pub x0: Vec<f64>,
    /// Every minimum MGH publish for these n and m.
    pub minima: Vec<Minimum>,
    make: fn() -> Box<dyn Objective>,
}

impl Problem {
    /// A fresh objective f = ½‖r‖² (with its least-squares structure).
    pub fn objective(&self) -> Box<dyn Objective> {
        (self.make)()
    }

    /// The published minimum (an index into `minima`) that `f` (our scale) reaches.
    pub fn reached(&self, f: f64) -> Option<usize> {
        self.minima.iter().position(|m| m.reached_by(f))
    }
}

fn c<D: DualNum<Primitive = f64>>(v: f64) -> D {
    D::from(v)
}

macro_rules! residuals {
    ($ty:ident, n = $n:expr, m = $m:expr, |$x:ident, $r:ident| $body:block) => {
        /// Residuals of one MGH problem.
        pub struct $ty;
        impl Residuals for $ty {
            fn dim(&self) -> usize {
                $n
            }
            fn count(&self) -> usize {
                $m
            }
            fn eval<D: DualNum<Primitive = f64> + Copy>(&self, $x: &[D], $r: &mut [D]) $body
        }
    };
}

// (1) Rosenbrock: f₁ = 10(x₂ − x₁²), f₂ = 1 − x₁.
residuals!(Rosenbrock, n = 2, m = 2, |x, r| {
    r[0] = (x[1] - x[0] * x[0]) * 10.0;
    r[1] = c::<D>(1.0) - x[0];
});

// (2) Freudenstein and Roth: f₁ = −13 + x₁ + ((5 − x₂)x₂ − 2)x₂,
// f₂ = −29 + x₁ + ((x₂ + 1)x₂ − 14)x₂.
residuals!(FreudensteinRoth, n = 2, m = 2, |x, r| {
    r[0] = x[0] - 13.0 + ((c::<D>(5.0) - x[1]) * x[1] - 2.0) * x[1];
    r[1] = x[0] - 29.0 + ((x[1] + 1.0) * x[1] - 14.0) * x[1];
});

// (3) Powell badly scaled: f₁ = 10⁴x₁x₂ − 1, f₂ = exp(−x₁) + exp(−x₂) − 1.0001.
residuals!(PowellBadlyScaled, n = 2, m = 2, |x, r| {
    r[0] = x[0] * x[1] * 1e4 - 1.0;
    r[1] = (-x[0]).exp() + (-x[1]).exp() - 1.0001;
});

// (4) Brown badly scaled: f₁ = x₁ − 10⁶, f₂ = x₂ − 2·10⁻⁶, f₃ = x₁x₂ − 2.
residuals!(BrownBadlyScaled, n = 2, m = 3, |x, r| {
    r[0] = x[0] - 1e6;
    r[1] = x[1] - 2e-6;
    r[2] = x[0] * x[1] - 2.0;
});

// (5) Beale: fᵢ = yᵢ − x₁(1 − x₂ⁱ), y = (1.5, 2.25, 2.625).
residuals!(Beale, n = 2, m = 3, |x, r| {
    const Y: [f64; 3] = [1.5, 2.25, 2.625];
    for (i, ri) in r.iter_mut().enumerate() {
        *ri = -x[0] * (c::<D>(1.0) - x[1].powi(i as i32 + 1)) + Y[i];
    }
});

// (6) Jennrich and Sampson, m = 10: fᵢ = 2 + 2i − (exp(ix₁) + exp(ix₂)).
residuals!(JennrichSampson, n = 2, m = 10, |x, r| {
    for (k, ri) in r.iter_mut().enumerate() {
        let i = (k + 1) as f64;
        *ri = -((x[0] * i).exp() + (x[1] * i).exp()) + (2.0 + 2.0 * i);
    }
});

// (7) Helical valley: f₁ = 10[x₃ − 10θ(x₁, x₂)], f₂ = 10[(x₁² + x₂²)^½ − 1], f₃ = x₃,
// θ = (1/2π) arctan(x₂/x₁) if x₁ > 0, (1/2π) arctan(x₂/x₁) + 0.5 if x₁ < 0. MGH leave
// θ undefined at x₁ = 0; there x₂/x₁ is infinite and the derivatives are not finite,
// which the solvers treat as divergence.
residuals!(HelicalValley, n = 3, m = 3, |x, r| {
    let mut theta = (x[1] / x[0]).atan() * (0.5 / std::f64::consts::PI);
    if x[0].re() < 0.0 {
        theta += 0.5;
    }
    r[0] = (x[2] - theta * 10.0) * 10.0;
    r[1] = ((x[0] * x[0] + x[1] * x[1]).sqrt() - 1.0) * 10.0;
    r[2] = x[2];
});

// (8) Bard, m = 15: fᵢ = yᵢ − (x₁ + uᵢ/(vᵢx₂ + wᵢx₃)), uᵢ = i, vᵢ = 16 − i, wᵢ = min(uᵢ, vᵢ).
const BARD_Y: [f64; 15] =
    [0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34, 2.10, 4.39];
residuals!(Bard, n = 3, m = 15, |x, r| {
    for (k, ri) in r.iter_mut().enumerate() {
        let u = (k + 1) as f64;
        let v = 16.0 - u;
        let w = u.min(v);
        *ri = -(x[0] + (x[1] * v + x[2] * w).recip() * u) + BARD_Y[k];
    }
});

// (12) Box three-dimensional, m = 10: fᵢ = exp(−tᵢx₁) − exp(−tᵢx₂) − x₃[exp(−tᵢ) − exp(−10tᵢ)],
// tᵢ = 0.1i.
residuals!(Box3d, n = 3, m = 10, |x, r| {
    for (k, ri) in r.iter_mut().enumerate() {
        let t = 0.1 * (k + 1) as f64;
        *ri = (-x[0] * t).exp() - (-x[1] * t).exp() - x[2] * ((-t).exp() - (-10.0 * t).exp());
    }
});

// (13) Powell singular: f₁ = x₁ + 10x₂, f₂ = 5^½(x₃ − x₄), f₃ = (x₂ − 2x₃)², f₄ = 10^½(x₁ − x₄)².
residuals!(PowellSingular, n = 4, m = 4, |x, r| {
    r[0] = x[0] + x[1] * 10.0;
    r[1] = (x[2] - x[3]) * 5f64.sqrt();
    r[2] = (x[1] - x[2] * 2.0).powi(2);
    r[3] = (x[0] - x[3]).powi(2) * 10f64.sqrt();
});

// (14) Wood: f₁ = 10(x₂ − x₁²), f₂ = 1 − x₁, f₃ = 90^½(x₄ − x₃²), f₄ = 1 − x₃,
// f₅ = 10^½(x₂ + x₄ − 2), f₆ = 10^(−½)(x₂ − x₄).
residuals!(Wood, n = 4, m = 6, |x, r| {
    r[0] = (x[1] - x[0] * x[0]) * 10.0;
    r[1] = c::<D>(1.0) - x[0];
    r[2] = (x[3] - x[2] * x[2]) * 90f64.sqrt();
    r[3] = c::<D>(1.0) - x[2];
    r[4] = (x[1] + x[3] - 2.0) * 10f64.sqrt();
    r[5] = (x[1] - x[3]) / 10f64.sqrt();
});

// (15) Kowalik and Osborne, m = 11: fᵢ = yᵢ − x₁(uᵢ² + uᵢx₂)/(uᵢ² + uᵢx₃ + x₄).
const KOWALIK_Y: [f64; 11] =
    [0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323, 0.0235, 0.0246];
const KOWALIK_U: [f64; 11] = [4.0, 2.0, 1.0, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625];
residuals!(KowalikOsborne, n = 4, m = 11, |x, r| {
    for (k, ri) in r.iter_mut().enumerate() {
        let u = KOWALIK_U[k];
        *ri = -(x[0] * (x[1] * u + u * u) / (x[2] * u + x[3] + u * u)) + KOWALIK_Y[k];
    }
});

// (16) Brown and Dennis, m = 20: fᵢ = (x₁ + tᵢx₂ − exp(tᵢ))² + (x₃ + x₄ sin(tᵢ) − cos(tᵢ))²,
// tᵢ = i/5.
residuals!(BrownDennis, n = 4, m = 20, |x, r| {
    for (k, ri) in r.iter_mut().enumerate() {
        let t = (k + 1) as f64 / 5.0;
        *ri = (x[0] + x[1] * t - t.exp()).powi(2) + (x[2] + x[3] * t.sin() - t.cos()).powi(2);
    }
});

// (17) Osborne 1, m = 33: fᵢ = yᵢ − (x₁ + x₂exp(−tᵢx₄) + x₃exp(−tᵢx₅)), tᵢ = 10(i − 1).
const OSBORNE1_Y: [f64; 33] = [
    0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818, 0.784, 0.751, 0.718, 0.685, 0.658, 0.628,
    0.603, 0.580, 0.558, 0.538, 0.522, 0.506, 0.490, 0.478, 0.467, 0.457, 0.448, 0.438, 0.431, 0.424, 0.420,
    0.414, 0.411, 0.406,
];
residuals!(Osborne1, n = 5, m = 33, |x, r| {
    for (k, ri) in r.iter_mut().enumerate() {
        let t = 10.0 * k as f64;
        *ri = -(x[0] + x[1] * (-x[3] * t).exp() + x[2] * (-x[4] * t).exp()) + OSBORNE1_Y[k];
    }
});

// (18) Biggs EXP6, m = 13: fᵢ = x₃exp(−tᵢx₁) − x₄exp(−tᵢx₂) + x₆exp(−tᵢx₅) − yᵢ,
// tᵢ = 0.1i, yᵢ = exp(−tᵢ) − 5exp(−10tᵢ) + 3exp(−4tᵢ).
residuals!(BiggsExp6, n = 6, m = 13, |x, r| {
    for (k, ri) in r.iter_mut().enumerate() {
        let t = 0.1 * (k + 1) as f64;
        let y = (-t).exp() - 5.0 * (-10.0 * t).exp() + 3.0 * (-4.0 * t).exp();
        *ri = x[2] * (-x[0] * t).exp() - x[3] * (-x[1] * t).exp() + x[5] * (-x[4] * t).exp() - y;
    }
});

// (20) Watson, n = 6, m = 31: for i = 1..29, tᵢ = i/29 and
// fᵢ = Σⱼ₌₂ⁿ (j − 1)xⱼtᵢ^(j−2) − (Σⱼ₌₁ⁿ xⱼtᵢ^(j−1))² − 1; f₃₀ = x₁, f₃₁ = x₂ − x₁² − 1.
residuals!(Watson, n = 6, m = 31, |x, r| {
    for (k, ri) in r.iter_mut().take(29).enumerate() {
        let t = (k + 1) as f64 / 29.0;
        let mut derivative = c::<D>(0.0);
        let mut value = c::<D>(0.0);
        for (j, &xj) in x.iter().enumerate() {
            // j is 0-based here: the published (j − 1) is our j.
            if j > 0 {
                derivative += xj * (j as f64 * t.powi(j as i32 - 1));
            }
            value += xj * t.powi(j as i32);
        }
        *ri = derivative - value * value - 1.0;
    }
    r[29] = x[0];
    r[30] = x[1] - x[0] * x[0] - 1.0;
});

// (21) Extended Rosenbrock, n = m = 10: f₂ᵢ₋₁ = 10(x₂ᵢ − x₂ᵢ₋₁²), f₂ᵢ = 1 − x₂ᵢ₋₁.
residuals!(ExtendedRosenbrock, n = 10, m = 10, |x, r| {
    for i in 0..5 {
        r[2 * i] = (x[2 * i + 1] - x[2 * i] * x[2 * i]) * 10.0;
        r[2 * i + 1] = c::<D>(1.0) - x[2 * i];
    }
});

fn make<R: Residuals + 'static>(r: R) -> Box<dyn Objective> {
    Box::new(SumOfSquares::new(r))
}

/// A printed nonzero minimum: F* with one unit in its last printed digit.
fn printed(value: f64, unit: f64, at: &[&[(f64, f64)]], label: &'static str) -> Minimum {
    Minimum { printed: value, unit, at: at.iter().map(|x| x.to_vec()).collect(), label }
}

/// The seventeen problems, in MGH's order.
pub fn problems() -> Vec<Problem> {
    vec![
        Problem {
            number: 1,
            name: "Rosenbrock",
            n: 2,
            m: 2,
            x0: vec![-1.2, 1.0],
            minima: vec![Minimum::zero(&[&[1.0, 1.0]], "f = 0 at (1, 1)")],
            make: || make(Rosenbrock),
        },
        Problem {
            number: 2,
            name: "Freudenstein-Roth",
            n: 2,
            m: 2,
            x0: vec![0.5, -2.0],
            minima: vec![
                Minimum::zero(&[&[5.0, 4.0]], "f = 0 at (5, 4)"),
                printed(
                    48.9842,
                    1e-4,
                    &[&[(11.41, 1e-2), (-0.8968, 1e-4)]],
                    "f = 48.9842... at (11.41..., -0.8968...)",
                ),
            ],
            make: || make(FreudensteinRoth),
        },
        Problem {
            number: 3,
            name: "Powell badly scaled",
            n: 2,
            m: 2,
            x0: vec![0.0, 1.0],
            minima: vec![Minimum {
                printed: 0.0,
                unit: 0.0,
                at: vec![vec![(1.098e-5, 1e-8), (9.106, 1e-3)]],
                label: "f = 0 at (1.098...e-5, 9.106...)",
            }],
            make: || make(PowellBadlyScaled),
        },
        Problem {
            number: 4,
            name: "Brown badly scaled",
            n: 2,
            m: 3,
            x0: vec![1.0, 1.0],
            minima: vec![Minimum::zero(&[&[1e6, 2e-6]], "f = 0 at (1e6, 2e-6)")],
            make: || make(BrownBadlyScaled),
        },
        Problem {
            number: 5,
            name: "Beale",
            n: 2,
            m: 3,
            x0: vec![1.0, 1.0],
            minima: vec![Minimum::zero(&[&[3.0, 0.5]], "f = 0 at (3, 0.5)")],
            make: || make(Beale),
        },
        Problem {
            number: 6,
            name: "Jennrich-Sampson (m = 10)",
            n: 2,
            m: 10,
            x0: vec![0.3, 0.4],
            minima: vec![printed(
                124.362,
                1e-3,
                &[&[(0.2578, 1e-4), (0.2578, 1e-4)]],
                "f = 124.362 at x1 = x2 = 0.2578",
            )],
            make: || make(JennrichSampson),
        },
        Problem {
            number: 7,
            name: "Helical valley",
            n: 3,
            m: 3,
            x0: vec![-1.0, 0.0, 0.0],
            minima: vec![Minimum::zero(&[&[1.0, 0.0, 0.0]], "f = 0 at (1, 0, 0)")],
            make: || make(HelicalValley),
        },
        Problem {
            number: 8,
            name: "Bard",
            n: 3,
            m: 15,
            x0: vec![1.0, 1.0, 1.0],
            minima: vec![
                printed(8.21487e-3, 1e-8, &[], "f = 8.21487...e-3"),
                printed(17.4286, 1e-4, &[], "f = 17.4286... at (0.8406..., -inf, -inf)"),
            ],
            make: || make(Bard),
        },
        Problem {
            number: 12,
            name: "Box 3-D (m = 10)",
            n: 3,
            m: 10,
            x0: vec![0.0, 10.0, 20.0],
            minima: vec![Minimum::zero(
                &[&[1.0, 10.0, 1.0], &[10.0, 1.0, -1.0], &[2.0, 2.0, 0.0]],
                "f = 0 at (1, 10, 1), (10, 1, -1), and wherever x1 = x2, x3 = 0",
            )],
            make: || make(Box3d),
        },
        Problem {
            number: 13,
            name: "Powell singular",
            n: 4,
            m: 4,
            x0: vec![3.0, -1.0, 0.0, 1.0],
            minima: vec![Minimum::zero(&[&[0.0; 4]], "f = 0 at the origin")],
            make: || make(PowellSingular),
        },
        Problem {
            number: 14,
            name: "Wood",
            n: 4,
            m: 6,
            x0: vec![-3.0, -1.0, -3.0, -1.0],
            minima: vec![Minimum::zero(&[&[1.0; 4]], "f = 0 at (1, 1, 1, 1)")],
            make: || make(Wood),
        },
        Problem {
            number: 15,
            name: "Kowalik-Osborne",
            n: 4,
            m: 11,
            x0: vec![0.25, 0.39, 0.415, 0.39],
            minima: vec![
                printed(3.07505e-4, 1e-9, &[], "f = 3.07505...e-4"),
                printed(1.02734e-3, 1e-8, &[], "f = 1.02734...e-3 at (+inf, -14.07..., -inf, -inf)"),
            ],
            make: || make(KowalikOsborne),
        },
        Problem {
            number: 16,
            name: "Brown-Dennis (m = 20)",
            n: 4,
            m: 20,
            x0: vec![25.0, 5.0, -5.0, -1.0],
            minima: vec![printed(85822.2, 0.1, &[], "f = 85822.2...")],
            make: || make(BrownDennis),
        },
        Problem {
            number: 17,
            name: "Osborne 1",
            n: 5,
            m: 33,
            x0: vec![0.5, 1.5, -1.0, 0.01, 0.02],
            minima: vec![printed(5.46489e-5, 1e-10, &[], "f = 5.46489...e-5")],
            make: || make(Osborne1),
        },
        Problem {
            number: 18,
            name: "Biggs EXP6 (m = 13)",
            n: 6,
            m: 13,
            x0: vec![1.0, 2.0, 1.0, 1.0, 1.0, 1.0],
            minima: vec![
                Minimum::zero(&[&[1.0, 10.0, 1.0, 5.0, 4.0, 3.0]], "f = 0 at (1, 10, 1, 5, 4, 3)"),
                printed(5.65565e-3, 1e-8, &[], "f = 5.65565...e-3 (at a saddle)"),
            ],
            make: || make(BiggsExp6),
        },
        Problem {
            number: 20,
            name: "Watson (n = 6)",
            n: 6,
            m: 31,
            x0: vec![0.0; 6],
            minima: vec![printed(2.28767e-3, 1e-8, &[], "f = 2.28767...e-3")],
            make: || make(Watson),
        },
        Problem {
            number: 21,
            name: "Extended Rosenbrock (n = 10)",
            n: 10,
            m: 10,
            x0: [-1.2, 1.0].repeat(5),
            minima: vec![Minimum::zero(&[&[1.0; 10]], "f = 0 at (1, ..., 1)")],
            make: || make(ExtendedRosenbrock),
        },
    ]
}
