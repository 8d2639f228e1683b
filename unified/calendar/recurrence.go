package calendar

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/teambition/rrule-go"
)

// Recurrence is the rule of a recurring series, in either or both forms:
// RFC 5545 lines (ICal) and the simple pattern/range (Simple). Events read
// from a provider carry both when the rule fits the simple form; a client
// creating a series sends one (ICal wins when both are sent).
type Recurrence struct {
	ICal   *ICalRecurrence   `json:"ical,omitempty"`
	Simple *SimpleRecurrence `json:"simple,omitempty"`
}

// ICalRecurrence is a rule as RFC 5545 lines: exactly one "RRULE:" line,
// and "EXDATE" and "RDATE" lines.
type ICalRecurrence struct {
	Rules []string `json:"rules"`
	// RecurrenceStart is the start of the series' first occurrence (read
	// only).
	RecurrenceStart *DateTime `json:"recurrenceStart,omitempty"`
}

// SimpleRecurrence is a rule as a pattern and a range, the form of
// Microsoft Graph's patternedRecurrence.
type SimpleRecurrence struct {
	Pattern Pattern `json:"pattern"`
	Range   Range   `json:"range"`
}

// The frequencies of a Pattern.
const (
	FreqDaily           = "daily"
	FreqWeekly          = "weekly"
	FreqMonthly         = "monthly"         // on DayOfMonth
	FreqMonthlyRelative = "monthlyRelative" // on the Instance'th DaysOfWeek
	FreqYearly          = "yearly"          // on DayOfMonth of MonthOfYear
	FreqYearlyRelative  = "yearlyRelative"  // on the Instance'th DaysOfWeek of MonthOfYear
)

// The range types of a Range.
const (
	RangeByDate    = "byDate"
	RangeByCount   = "byCount"
	RangeUnbounded = "unbounded"
)

// Pattern is how often a series repeats.
type Pattern struct {
	Frequency string `json:"frequency"`
	// Interval is the number of frequency units between occurrences
	// (default 1).
	Interval int `json:"interval,omitempty"`
	// DaysOfWeek are monday ... sunday.
	DaysOfWeek []string `json:"daysOfWeek,omitempty"`
	// WeekStart is monday or sunday; it matters only for weekly series
	// with an interval above 1.
	WeekStart   string `json:"weekStart,omitempty"`
	DayOfMonth  int    `json:"dayOfMonth,omitempty"`
	MonthOfYear int    `json:"monthOfYear,omitempty"`
	// Instance is first, second, third, fourth or last.
	Instance string `json:"instance,omitempty"`
}

// Range is how long a series repeats.
type Range struct {
	// Type is byDate, byCount or unbounded.
	Type string `json:"type"`
	// RecurrenceStart is the start of the first occurrence (read only).
	RecurrenceStart *DateTime `json:"recurrenceStart,omitempty"`
	// RecurrenceEnd is the last date (inclusive, in the series' zone) of
	// a byDate range.
	RecurrenceEnd string `json:"recurrenceEnd,omitempty"`
	// Count is the number of occurrences of a byCount range.
	Count int `json:"count,omitempty"`
	// PatternExclusions are starts of occurrences removed from the
	// series (EXDATE).
	PatternExclusions []DateTime `json:"patternExclusions,omitempty"`
}

// Limits of a rule.
const (
	maxRuleLines  = 32
	maxRuleLength = 2048
)

var dayNames = []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
var instances = map[string]int{"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}

// rule is a parsed RRULE with its other lines.
type rule struct {
	opt    *rrule.ROption
	exdate []time.Time
	other  []string // RDATE lines, kept verbatim
}

// parseRules parses and checks ICal lines; loc is the series' zone.
func parseRules(lines []string, loc *time.Location) (rule, error) {
	var r rule
	if len(lines) == 0 {
		return r, &FieldError{Field: "recurrence.ical.rules", Problem: "is empty"}
	}
	if len(lines) > maxRuleLines {
		return r, &FieldError{Field: "recurrence.ical.rules", Problem: "has too many lines"}
	}
	for _, line := range lines {
		if len(line) > maxRuleLength || strings.ContainsAny(line, "\r\n") {
			return r, &FieldError{Field: "recurrence.ical.rules", Problem: "has an invalid line"}
		}
		name, _, _ := strings.Cut(line, ":")
		name, _, _ = strings.Cut(name, ";")
		switch strings.ToUpper(name) {
		case "RRULE":
			if r.opt != nil {
				return r, &FieldError{Field: "recurrence.ical.rules", Problem: "has more than one RRULE"}
			}
			opt, err := rrule.StrToROptionInLocation(line, loc)
			if err != nil {
				return r, &FieldError{Field: "recurrence.ical.rules", Problem: "has an invalid RRULE: " + err.Error()}
			}
			opt.Dtstart = time.Date(2000, 1, 3, 0, 0, 0, 0, loc)
			if _, err := rrule.NewRRule(*opt); err != nil {
				return r, &FieldError{Field: "recurrence.ical.rules", Problem: "has an invalid RRULE: " + err.Error()}
			}
			if len(opt.Byhour)+len(opt.Byminute)+len(opt.Bysecond)+len(opt.Byeaster) > 0 || opt.Freq > rrule.DAILY {
				return r, &FieldError{Field: "recurrence.ical.rules", Problem: "repeats more often than daily"}
			}
			r.opt = opt
		case "EXDATE":
			ts, err := rrule.StrToDatesInLoc(dateValue(line), loc)
			if err != nil || len(ts) == 0 {
				return r, &FieldError{Field: "recurrence.ical.rules", Problem: "has an invalid EXDATE"}
			}
			r.exdate = append(r.exdate, ts...)
		case "RDATE":
			if _, err := rrule.StrToDatesInLoc(dateValue(line), loc); err != nil {
				return r, &FieldError{Field: "recurrence.ical.rules", Problem: "has an invalid RDATE"}
			}
			r.other = append(r.other, line)
		default:
			return r, &FieldError{Field: "recurrence.ical.rules", Problem: "has an unsupported line " + strconv.Quote(truncate(name, 20))}
		}
	}
	if r.opt == nil {
		return r, &FieldError{Field: "recurrence.ical.rules", Problem: "has no RRULE"}
	}
	return r, nil
}

// dateValue returns the parameters and value of an EXDATE or RDATE line
// as rrule.StrToDatesInLoc reads them ("TZID=X:v" or "v").
func dateValue(line string) string {
	i := strings.IndexAny(line, ";:")
	if i < 0 {
		return ""
	}
	return line[i+1:]
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// ruleLine writes opt in canonical order, so that the same rule reads the
// same from every provider.
func ruleLine(opt *rrule.ROption, allDay bool) string {
	var b strings.Builder
	b.WriteString("RRULE:FREQ=" + opt.Freq.String())
	if opt.Interval > 1 {
		b.WriteString(";INTERVAL=" + strconv.Itoa(opt.Interval))
	}
	if opt.Count > 0 {
		b.WriteString(";COUNT=" + strconv.Itoa(opt.Count))
	}
	if !opt.Until.IsZero() {
		if allDay {
			b.WriteString(";UNTIL=" + opt.Until.Format("20060102"))
		} else {
			b.WriteString(";UNTIL=" + opt.Until.UTC().Format("20060102T150405Z"))
		}
	}
	ints := func(key string, v []int) {
		if len(v) == 0 {
			return
		}
		s := make([]string, len(v))
		for i, n := range v {
			s[i] = strconv.Itoa(n)
		}
		b.WriteString(";" + key + "=" + strings.Join(s, ","))
	}
	ints("BYMONTH", opt.Bymonth)
	ints("BYMONTHDAY", opt.Bymonthday)
	ints("BYYEARDAY", opt.Byyearday)
	ints("BYWEEKNO", opt.Byweekno)
	if len(opt.Byweekday) > 0 {
		days := slices.Clone(opt.Byweekday)
		slices.SortStableFunc(days, func(a, b rrule.Weekday) int { return a.Day() - b.Day() })
		s := make([]string, len(days))
		for i, d := range days {
			s[i] = d.String()
		}
		b.WriteString(";BYDAY=" + strings.Join(s, ","))
	}
	ints("BYSETPOS", opt.Bysetpos)
	if opt.Interval > 1 && opt.Freq == rrule.WEEKLY && opt.Wkst.Day() != rrule.MO.Day() {
		b.WriteString(";WKST=" + opt.Wkst.String())
	}
	return b.String()
}

// exdateLine writes the exclusions of a series starting at start.
func exdateLine(ts []time.Time, start DateTime, loc *time.Location) string {
	ts = slices.Clone(ts)
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	s := make([]string, len(ts))
	if start.AllDay() {
		for i, t := range ts {
			s[i] = t.Format("20060102")
		}
		return "EXDATE;VALUE=DATE:" + strings.Join(s, ",")
	}
	for i, t := range ts {
		s[i] = t.UTC().Format("20060102T150405Z")
	}
	return "EXDATE:" + strings.Join(s, ",")
}

// NewRecurrence builds the Recurrence of a series from RFC 5545 lines (as
// Google stores them) and the start of its first occurrence: the lines in
// canonical form and the simple form when the rule fits it.
func NewRecurrence(lines []string, start DateTime) (*Recurrence, error) {
	loc, err := startLocation(start)
	if err != nil {
		return nil, err
	}
	r, err := parseRules(lines, loc)
	if err != nil {
		return nil, err
	}
	return r.recurrence(start, loc), nil
}

func (r rule) recurrence(start DateTime, loc *time.Location) *Recurrence {
	r.explicit(start, loc)
	out := []string{ruleLine(r.opt, start.AllDay())}
	if len(r.exdate) > 0 {
		out = append(out, exdateLine(r.exdate, start, loc))
	}
	out = append(out, r.other...)
	st := start
	if st.DateTime != nil {
		// The start as the API answers it: in the series' zone.
		t := st.DateTime.In(loc)
		st.DateTime, st.TimeZone = &t, ZoneName(loc)
	}
	rec := &Recurrence{ICal: &ICalRecurrence{Rules: out, RecurrenceStart: &st}}
	if len(r.other) == 0 {
		if s, ok := r.simple(start, loc); ok {
			rec.Simple = s
		}
	}
	return rec
}

// startLocation is the zone a series recurs in: its start's named zone;
// UTC for a start without one (as the API normalizes such times) and for
// all-day series.
func startLocation(start DateTime) (*time.Location, error) {
	if start.AllDay() || start.TimeZone == "" {
		return time.UTC, nil
	}
	return LoadLocation(start.TimeZone)
}

// explicit writes out the days a rule takes from its start (a weekly rule
// without BYDAY repeats on the start's weekday, a monthly one on its day of
// the month, a yearly one on its month and day), so that the same series
// reads the same whichever way a provider stores it.
func (r rule) explicit(start DateTime, loc *time.Location) {
	o := r.opt
	t, err := start.Instant(loc)
	if err != nil {
		return
	}
	t = t.In(loc)
	noDays := len(o.Byweekday)+len(o.Bymonthday)+len(o.Byyearday)+len(o.Byweekno) == 0
	switch o.Freq {
	case rrule.WEEKLY:
		if len(o.Byweekday) == 0 {
			o.Byweekday = []rrule.Weekday{weekdayOf(t)}
		}
	case rrule.MONTHLY:
		if noDays {
			o.Bymonthday = []int{t.Day()}
		}
	case rrule.YEARLY:
		if noDays {
			if len(o.Bymonth) == 0 {
				o.Bymonth = []int{int(t.Month())}
			}
			o.Bymonthday = []int{t.Day()}
		}
	}
	// One weekday with one BYSETPOS is the nth weekday.
	if len(o.Byweekday) == 1 && o.Byweekday[0].N() == 0 && len(o.Bysetpos) == 1 && (o.Freq == rrule.MONTHLY || o.Freq == rrule.YEARLY) {
		o.Byweekday, o.Bysetpos = []rrule.Weekday{o.Byweekday[0].Nth(o.Bysetpos[0])}, nil
	}
}

func weekdayOf(t time.Time) rrule.Weekday {
	all := []rrule.Weekday{rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU}
	return all[(int(t.Weekday())+6)%7]
}

// simple returns the simple form of r, when it has one.
func (r rule) simple(start DateTime, loc *time.Location) (*SimpleRecurrence, bool) {
	o := r.opt
	if len(o.Byyearday)+len(o.Byweekno) > 0 || len(o.Bysetpos) > 1 || len(o.Bymonth) > 1 || len(o.Bymonthday) > 1 {
		return nil, false
	}
	p := Pattern{Interval: max(o.Interval, 1)}
	days := func() ([]string, int, bool) {
		var names []string
		n := 0
		for i, d := range o.Byweekday {
			if i > 0 && d.N() != n {
				return nil, 0, false
			}
			n = d.N()
			names = append(names, dayNames[d.Day()])
		}
		if len(o.Bysetpos) == 1 {
			if n != 0 {
				return nil, 0, false
			}
			n = o.Bysetpos[0]
		}
		slices.SortFunc(names, func(a, b string) int { return slices.Index(dayNames, a) - slices.Index(dayNames, b) })
		return names, n, true
	}
	instance := func(n int) (string, bool) {
		for k, v := range instances {
			if v == n {
				return k, true
			}
		}
		return "", false
	}
	switch o.Freq {
	case rrule.DAILY:
		if len(o.Bymonth)+len(o.Bymonthday)+len(o.Byweekday)+len(o.Bysetpos) > 0 {
			return nil, false
		}
		p.Frequency = FreqDaily
	case rrule.WEEKLY:
		if len(o.Bymonth)+len(o.Bymonthday)+len(o.Bysetpos) > 0 {
			return nil, false
		}
		names, n, ok := days()
		if !ok || n != 0 {
			return nil, false
		}
		if len(names) == 0 {
			t, err := start.Instant(loc)
			if err != nil {
				return nil, false
			}
			names = []string{dayNames[(int(t.In(loc).Weekday())+6)%7]}
		}
		p.Frequency, p.DaysOfWeek = FreqWeekly, names
		if p.Interval > 1 {
			p.WeekStart = dayNames[o.Wkst.Day()]
		}
	case rrule.MONTHLY, rrule.YEARLY:
		if len(o.Bymonth) == 1 {
			p.MonthOfYear = o.Bymonth[0]
		}
		if o.Freq == rrule.MONTHLY && p.MonthOfYear != 0 {
			return nil, false
		}
		names, n, ok := days()
		if !ok {
			return nil, false
		}
		t, err := start.Instant(loc)
		if err != nil {
			return nil, false
		}
		t = t.In(loc)
		if len(names) > 0 {
			if len(o.Bymonthday) > 0 {
				return nil, false
			}
			inst, ok := instance(n)
			if !ok {
				return nil, false
			}
			p.DaysOfWeek, p.Instance = names, inst
			p.Frequency = FreqMonthlyRelative
			if o.Freq == rrule.YEARLY {
				p.Frequency = FreqYearlyRelative
			}
		} else {
			p.DayOfMonth = t.Day()
			if len(o.Bymonthday) == 1 {
				if o.Bymonthday[0] < 1 {
					return nil, false
				}
				p.DayOfMonth = o.Bymonthday[0]
			}
			p.Frequency = FreqMonthly
			if o.Freq == rrule.YEARLY {
				p.Frequency = FreqYearly
			}
		}
		if o.Freq == rrule.YEARLY && p.MonthOfYear == 0 {
			p.MonthOfYear = int(t.Month())
		}
	default:
		return nil, false
	}
	st := start
	if st.DateTime != nil {
		t := st.DateTime.In(loc)
		st.DateTime, st.TimeZone = &t, ZoneName(loc)
	}
	rg := Range{Type: RangeUnbounded, RecurrenceStart: &st}
	switch {
	case o.Count > 0:
		rg.Type, rg.Count = RangeByCount, o.Count
	case !o.Until.IsZero():
		rg.Type = RangeByDate
		if start.AllDay() {
			rg.RecurrenceEnd = o.Until.Format(time.DateOnly)
		} else {
			rg.RecurrenceEnd = o.Until.In(loc).Format(time.DateOnly)
		}
	}
	for _, t := range r.exdate {
		if start.AllDay() {
			rg.PatternExclusions = append(rg.PatternExclusions, OnDate(t.Format(time.DateOnly)))
		} else {
			rg.PatternExclusions = append(rg.PatternExclusions, At(t, loc))
		}
	}
	return &SimpleRecurrence{Pattern: p, Range: rg}, true
}

// Rules returns the RFC 5545 lines of rec for a series starting at start:
// its ICal rules when set, else its Simple form converted.
func (rec *Recurrence) Rules(start DateTime) ([]string, error) {
	loc, err := startLocation(start)
	if err != nil {
		return nil, err
	}
	r, err := rec.parse(start, loc)
	if err != nil {
		return nil, err
	}
	return r.recurrence(start, loc).ICal.Rules, nil
}

// SimpleForm returns the simple form of rec for a series starting at
// start, converting ICal rules; a rule the simple form cannot express
// (RDATE, BYSETPOS lists, BYYEARDAY ...) is an error.
func (rec *Recurrence) SimpleForm(start DateTime) (*SimpleRecurrence, error) {
	loc, err := startLocation(start)
	if err != nil {
		return nil, err
	}
	r, err := rec.parse(start, loc)
	if err != nil {
		return nil, err
	}
	if len(r.other) > 0 {
		return nil, &FieldError{Field: "recurrence", Problem: "uses RDATE, which this provider cannot store"}
	}
	s, ok := r.simple(start, loc)
	if !ok {
		return nil, &FieldError{Field: "recurrence", Problem: "cannot be expressed as a pattern and a range, as this provider requires"}
	}
	return s, nil
}

// Validate checks rec for a series starting at start.
func (rec *Recurrence) Validate(start DateTime) error {
	loc, err := startLocation(start)
	if err != nil {
		return err
	}
	_, err = rec.parse(start, loc)
	return err
}

func (rec *Recurrence) parse(start DateTime, loc *time.Location) (rule, error) {
	switch {
	case rec == nil:
		return rule{}, &FieldError{Field: "recurrence", Problem: "is empty"}
	case rec.ICal != nil:
		return parseRules(rec.ICal.Rules, loc)
	case rec.Simple != nil:
		return rec.Simple.rule(start, loc)
	}
	return rule{}, &FieldError{Field: "recurrence", Problem: "needs ical or simple"}
}

// rule converts a simple form to a rule.
func (s *SimpleRecurrence) rule(start DateTime, loc *time.Location) (rule, error) {
	p := s.Pattern
	bad := func(field, problem string) (rule, error) {
		return rule{}, &FieldError{Field: "recurrence.simple." + field, Problem: problem}
	}
	if p.Interval < 0 || p.Interval > 999 {
		return bad("pattern.interval", "must be between 1 and 999")
	}
	opt := &rrule.ROption{Interval: max(p.Interval, 1), Wkst: rrule.MO}
	weekdays := func(n int) ([]rrule.Weekday, error) {
		if len(p.DaysOfWeek) == 0 {
			return nil, &FieldError{Field: "recurrence.simple.pattern.daysOfWeek", Problem: "is required for " + p.Frequency}
		}
		var out []rrule.Weekday
		for _, d := range p.DaysOfWeek {
			i := slices.Index(dayNames, strings.ToLower(d))
			if i < 0 {
				return nil, &FieldError{Field: "recurrence.simple.pattern.daysOfWeek", Problem: "has an unknown day " + strconv.Quote(truncate(d, 20))}
			}
			w := []rrule.Weekday{rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU}[i]
			if n != 0 {
				w = w.Nth(n)
			}
			out = append(out, w)
		}
		return out, nil
	}
	var err error
	switch p.Frequency {
	case FreqDaily:
		opt.Freq = rrule.DAILY
	case FreqWeekly:
		opt.Freq = rrule.WEEKLY
		if opt.Byweekday, err = weekdays(0); err != nil {
			return rule{}, err
		}
		switch strings.ToLower(p.WeekStart) {
		case "", "monday":
		case "sunday":
			opt.Wkst = rrule.SU
		default:
			return bad("pattern.weekStart", "must be monday or sunday")
		}
	case FreqMonthly, FreqYearly:
		opt.Freq = rrule.MONTHLY
		if p.Frequency == FreqYearly {
			opt.Freq = rrule.YEARLY
			if p.MonthOfYear < 1 || p.MonthOfYear > 12 {
				return bad("pattern.monthOfYear", "must be between 1 and 12")
			}
			opt.Bymonth = []int{p.MonthOfYear}
		}
		if p.DayOfMonth < 1 || p.DayOfMonth > 31 {
			return bad("pattern.dayOfMonth", "must be between 1 and 31")
		}
		opt.Bymonthday = []int{p.DayOfMonth}
	case FreqMonthlyRelative, FreqYearlyRelative:
		opt.Freq = rrule.MONTHLY
		if p.Frequency == FreqYearlyRelative {
			opt.Freq = rrule.YEARLY
			if p.MonthOfYear < 1 || p.MonthOfYear > 12 {
				return bad("pattern.monthOfYear", "must be between 1 and 12")
			}
			opt.Bymonth = []int{p.MonthOfYear}
		}
		n, ok := instances[strings.ToLower(p.Instance)]
		if p.Instance == "" {
			n, ok = 1, true
		}
		if !ok {
			return bad("pattern.instance", "must be first, second, third, fourth or last")
		}
		if opt.Byweekday, err = weekdays(0); err != nil {
			return rule{}, err
		}
		opt.Bysetpos = []int{n}
		if len(opt.Byweekday) == 1 {
			opt.Byweekday, opt.Bysetpos = []rrule.Weekday{opt.Byweekday[0].Nth(n)}, nil
		}
	default:
		return bad("pattern.frequency", "must be daily, weekly, monthly, monthlyRelative, yearly or yearlyRelative")
	}
	switch s.Range.Type {
	case RangeByCount:
		if s.Range.Count < 1 || s.Range.Count > 999 {
			return bad("range.count", "must be between 1 and 999")
		}
		opt.Count = s.Range.Count
	case RangeByDate:
		end, err := time.ParseInLocation(time.DateOnly, s.Range.RecurrenceEnd, loc)
		if err != nil {
			return bad("range.recurrenceEnd", "must be a date (YYYY-MM-DD)")
		}
		if start.AllDay() {
			opt.Until = end
		} else {
			opt.Until = end.AddDate(0, 0, 1).Add(-time.Second)
		}
	case RangeUnbounded, "":
	default:
		return bad("range.type", "must be byDate, byCount or unbounded")
	}
	r := rule{opt: opt}
	for _, ex := range s.Range.PatternExclusions {
		t, err := ex.Instant(loc)
		if err != nil {
			return rule{}, err
		}
		r.exdate = append(r.exdate, t)
	}
	opt.Dtstart = time.Date(2000, 1, 3, 0, 0, 0, 0, loc)
	if _, err := rrule.NewRRule(*opt); err != nil {
		return bad("pattern", fmt.Sprint("is invalid: ", err))
	}
	return r, nil
}
