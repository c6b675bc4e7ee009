//! The Lab: Sift's native console for leads, built with egui/eframe.
//!
//! Everything a lead does — look over progress, find items, hand out batches, score, build
//! the next queue, review, import, export, sync — is a view here over the same `sift-api`
//! use cases the CLI adapts. Views never wait on the project: every query and long job runs
//! on background threads with their own connections ([`backend`]), and results come back as
//! closures applied at the start of a frame. The same [`LabApp`] runs in the window
//! (`sift-lab [PROJECT]`) and in the `egui_kittest` tests, which drive it through AccessKit.

#![warn(missing_docs)]

pub mod app;
pub mod backend;
pub mod demo;
pub mod dialogs;
pub mod media;
pub mod recent;
pub mod theme;
pub mod views;

pub use app::{LabApp, LabConfig, local_user_name};
