package pex

import (
	"fmt"
	"strings"
)

// size is how many descriptors (From) or nested requirements (FromNested)
// the requirement picks from.
func (n *reqNode) size() int { return len(n.group) + len(n.nested) }

func (n *reqNode) what() string {
	if n.group != nil {
		return fmt.Sprintf("descriptors of group %q", n.sr.From)
	}
	return "nested requirements"
}

// rule renders the rule for messages: "all", "pick 1", "pick at least 2".
func (n *reqNode) rule() string {
	sr := n.sr
	if sr.Rule == RuleAll {
		return "all"
	}
	var parts []string
	if sr.Count != nil {
		parts = append(parts, fmt.Sprintf("exactly %d", *sr.Count))
	}
	if sr.Min != nil {
		parts = append(parts, fmt.Sprintf("at least %d", *sr.Min))
	}
	if sr.Max != nil {
		parts = append(parts, fmt.Sprintf("at most %d", *sr.Max))
	}
	return "pick " + strings.Join(parts, " and ")
}

// possible says whether the requirement can be met when have(i) tells
// which descriptors have at least one matching candidate. A pick's max is
// always possible: the holder submits fewer.
func (n *reqNode) possible(def *Definition, have func(int) bool) RequirementResult {
	sr := n.sr
	rr := RequirementResult{Location: n.loc, Name: sr.Name, Purpose: sr.Purpose, Rule: sr.Rule,
		Count: sr.Count, Min: sr.Min, Max: sr.Max, From: sr.From}
	k := 0
	for _, i := range n.group {
		rr.Descriptors = append(rr.Descriptors, def.InputDescriptors[i].ID)
		if have(i) {
			k++
		}
	}
	for _, c := range n.nested {
		r := c.possible(def, have)
		rr.Nested = append(rr.Nested, r)
		if r.Satisfiable {
			k++
		}
	}
	need := n.size()
	if sr.Rule == RulePick {
		switch {
		case sr.Count != nil:
			need = *sr.Count
		case sr.Min != nil:
			need = *sr.Min
		default:
			need = 0
		}
	}
	rr.Satisfiable = k >= need
	if !rr.Satisfiable {
		rr.Reason = fmt.Sprintf("%s: only %d of the %d %s can be satisfied, %d needed", n.rule(), k, n.size(), n.what(), need)
	}
	return rr
}

// possible evaluates every top-level requirement (or, without any, the
// rule that every descriptor is required).
func (c *compiled) possible(def *Definition, have func(int) bool) ([]RequirementResult, bool) {
	if len(c.reqs) == 0 {
		rr := RequirementResult{Location: "input_descriptors", Rule: RuleAll, Satisfiable: true}
		var missing []string
		for i, d := range def.InputDescriptors {
			rr.Descriptors = append(rr.Descriptors, d.ID)
			if !have(i) {
				missing = append(missing, d.ID)
			}
		}
		if len(missing) > 0 {
			rr.Satisfiable = false
			rr.Reason = "no matching credential for " + strings.Join(missing, ", ")
		}
		return []RequirementResult{rr}, rr.Satisfiable
	}
	out := make([]RequirementResult, 0, len(c.reqs))
	ok := true
	for _, n := range c.reqs {
		r := n.possible(def, have)
		ok = ok && r.Satisfiable
		out = append(out, r)
	}
	return out, ok
}

// met says whether the submitted descriptors (submitted(i)) meet the
// requirement exactly: all of them, exactly count, at least min, at most
// max. When not, it says why.
func (n *reqNode) met(submitted func(int) bool) (bool, string) {
	k := 0
	var unmet []string
	for _, i := range n.group {
		if submitted(i) {
			k++
		}
	}
	for _, c := range n.nested {
		if ok, why := c.met(submitted); ok {
			k++
		} else {
			unmet = append(unmet, c.loc+": "+why)
		}
	}
	sr := n.sr
	ok := true
	switch {
	case sr.Rule == RuleAll:
		ok = k == n.size()
	case sr.Count != nil:
		ok = k == *sr.Count
	default:
		ok = (sr.Min == nil || k >= *sr.Min) && (sr.Max == nil || k <= *sr.Max)
	}
	if ok {
		return true, ""
	}
	if n.nested == nil {
		return false, fmt.Sprintf("%s of the %d %s, but %d submitted", n.rule(), n.size(), n.what(), k)
	}
	why := fmt.Sprintf("%s of the %d %s, but %d met", n.rule(), n.size(), n.what(), k)
	tooFew := sr.Rule == RuleAll || sr.Count != nil && k < *sr.Count || sr.Min != nil && k < *sr.Min
	if tooFew && len(unmet) > 0 {
		why += " (" + strings.Join(unmet, "; ") + ")"
	}
	return false, why
}
