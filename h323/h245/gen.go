package h245

// The codec is generated from the reference ASN.1 module MULTIMEDIA-SYSTEM-CONTROL, which lives
// outside the module tree in ../shared/reference (relative to the repository root).
//go:generate go run ../../internal/asn1gen -ref ../../../shared/reference -out . -target h245
