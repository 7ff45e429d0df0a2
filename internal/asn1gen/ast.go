package main

// The abstract syntax of the ASN.1 subset the generator understands (X.680).

// Module is one ASN.1 module.
type Module struct {
	Name        string
	File        string
	Imports     map[string]string // imported symbol -> module it comes from
	Assignments map[string]*Assignment
	Order       []string // assignment names in source order
}

// Assignment is a type assignment, possibly parameterized (X.683): `SIGNED{ToBeSigned} ::= ...`.
type Assignment struct {
	Name   string
	Params []string
	Type   *Type
	Line   int
}

// TypeKind is the built-in type or construction a Type denotes.
type TypeKind int

const (
	TRef TypeKind = iota
	TSequence
	TSet
	TChoice
	TSequenceOf
	TSetOf
	TEnumerated
	TInteger
	TBoolean
	TNull
	TBitString
	TOctetString
	TString // restricted character string; StringType names it
	TObjectIdentifier
	TOpenType // TYPE-IDENTIFIER.&Type(X): Elem is X
)

// Type is a type as written, with its PER-visible constraints collected.
type Type struct {
	Kind       TypeKind
	Ref        string  // TRef: the referenced name
	Args       []*Type // TRef: actual parameters
	StringType string  // TString: IA5String, BMPString, ...
	Components []*Component
	Extensible bool // "..." present in SEQUENCE, SET, CHOICE, ENUMERATED
	Elem       *Type
	Items      []EnumItem
	Constraint Constraint
	Line       int
}

// Component is a SEQUENCE/SET component or CHOICE alternative.
type Component struct {
	Name      string
	Type      *Type
	Optional  bool // OPTIONAL or DEFAULT (no DEFAULT occurs in these modules; it is treated as OPTIONAL)
	Extension bool // an extension addition (after "...")
}

// EnumItem is an ENUMERATED item with its number (explicit or assigned).
type EnumItem struct {
	Name      string
	Value     int64
	Explicit  bool
	Extension bool
}

// Constraint is the PER-visible part of a type's constraints (X.691 clause 9.3).
type Constraint struct {
	Range *Range
	Size  *Range
	From  string // effective permitted alphabet, sorted, "" for none
}

// Range is a value range; HasLb/HasUb false for MIN/MAX or no bound.
type Range struct {
	Lb, Ub       int64
	HasLb, HasUb bool
	Ext          bool
}
