package provider

import (
	"fmt"
	"reflect"

	"github.com/zdt-eks/zdt/components/zerodowntime"
)

// toArgs copies the wire inputs onto zerodowntime.Args, field by field by
// Go name: equal types are assigned, a *struct wire field fills the struct
// (or *struct) field of the same name, recursively, and slices and maps of
// wire structs fill slices and maps of their counterparts. A wire field that has
// no such counterpart is an error naming it (TestToArgsCopiesEveryField
// fills every wire field and checks that each one arrives).
func toArgs(w Args) (zerodowntime.Args, error) {
	var a zerodowntime.Args
	err := copyFields(reflect.ValueOf(&a).Elem(), reflect.ValueOf(w), "Args")
	return a, err
}

func copyFields(dst, src reflect.Value, path string) error {
	for i := range src.NumField() {
		sf := src.Type().Field(i)
		if _, ok := sf.Tag.Lookup("pulumi"); !ok {
			continue
		}
		df := dst.FieldByName(sf.Name)
		if !df.IsValid() {
			return fmt.Errorf("%s.%s: zerodowntime has no such field", path, sf.Name)
		}
		if err := copyValue(df, src.Field(i), path+"."+sf.Name); err != nil {
			return err
		}
	}
	return nil
}

func copyValue(dst, src reflect.Value, path string) error {
	switch {
	case src.Type() == dst.Type():
		dst.Set(src)
		return nil
	case src.Kind() == reflect.Struct && dst.Kind() == reflect.Struct:
		return copyFields(dst, src, path)
	case src.Kind() == reflect.Slice && dst.Kind() == reflect.Slice:
		if src.IsNil() {
			return nil
		}
		dst.Set(reflect.MakeSlice(dst.Type(), src.Len(), src.Len()))
		for i := range src.Len() {
			if err := copyValue(dst.Index(i), src.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	case src.Kind() == reflect.Map && dst.Kind() == reflect.Map && src.Type().Key() == dst.Type().Key():
		if src.IsNil() {
			return nil
		}
		dst.Set(reflect.MakeMapWithSize(dst.Type(), src.Len()))
		for it := src.MapRange(); it.Next(); {
			e := reflect.New(dst.Type().Elem()).Elem()
			if err := copyValue(e, it.Value(), fmt.Sprintf("%s[%v]", path, it.Key())); err != nil {
				return err
			}
			dst.SetMapIndex(it.Key(), e)
		}
		return nil
	case src.Kind() == reflect.Pointer && src.Type().Elem().Kind() == reflect.Struct:
		if src.IsNil() {
			return nil
		}
		switch {
		case dst.Kind() == reflect.Struct:
			return copyFields(dst, src.Elem(), path)
		case dst.Kind() == reflect.Pointer && dst.Type().Elem().Kind() == reflect.Struct:
			dst.Set(reflect.New(dst.Type().Elem()))
			return copyFields(dst.Elem(), src.Elem(), path)
		}
	}
	return fmt.Errorf("%s: no conversion from %s to %s", path, src.Type(), dst.Type())
}
