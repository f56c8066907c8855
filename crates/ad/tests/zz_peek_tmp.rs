mod common;
use common::{Problem, loss_graph};
use saddle_graph::{Activation, Arch};
#[test]
fn peek() {
    let arch: Arch = "1,20,20,1".parse().unwrap();
    let lg = loss_graph(Problem::Regression, &arch, Activation::Tanh, 64);
    let mut g = lg.graph.clone();
    let v = g.input("v", g.shape(lg.theta)).unwrap();
    let hv = saddle_ad::hvp(&mut g, lg.loss, lg.theta, v).unwrap();
    g.clear_outputs(); g.set_output("hvp", hv);
    println!("{}", g.simplify().unwrap());
    let lg = loss_graph(Problem::Pinn, &"1,3,1".parse().unwrap(), Activation::Tanh, 4);
    println!("{}", lg.graph.simplify().unwrap());
}
