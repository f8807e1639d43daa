//! Test support shared by the integration tests: fake API servers (`fakekube`) and an openssl
//! based PKI (`pki`), the docrun command (`docrun`), processes (`process`) and lint reports (`lint`). Use it from a test file with `mod support;`.
#![allow(dead_code)] // each test file uses a different part

pub mod docrun;
pub mod fakekube;
pub mod faultproxy;
pub mod lint;
pub mod pki;
pub mod process;
pub mod trust;
