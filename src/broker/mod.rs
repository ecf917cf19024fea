//! The embedded broker (SeaweedFS messaging 2.x). PLACEHOLDER: being written.
