"""In-place ops and autograd: leaf checks, saved-tensor version checks, history rebasing, views (CopySlices),
version counters, all compared with torch."""
from tests.autograd.both import raises, same


def leaf(m, data=((1.0, 2.0, 3.0), (4.0, 5.0, 6.0))):
    return m.tensor(data, requires_grad=True)


def test_in_place_on_leaf_requiring_grad_raises():
    assert "leaf Variable" in raises(lambda m: leaf(m).add_(1))
    raises(lambda m: leaf(m).mul_(leaf(m)))


def test_in_place_on_view_of_leaf_requiring_grad_raises():
    assert "view of a leaf" in raises(lambda m: leaf(m)[0].add_(1))

    def setitem(m):
        x = leaf(m)
        x[0] = 1.0
    raises(setitem)


def test_in_place_on_leaf_under_no_grad_is_allowed():
    def case(m):
        x = leaf(m)
        with m.no_grad():
            x.mul_(2)
            x[0, 0] = 0.0
        return x, x._version, x.requires_grad, x.is_leaf
    same(case)


def test_modified_saved_output_raises_version_error():
    def case(m):
        x = leaf(m) * 1
        y = x.exp()
        y.add_(1)
        y.sum().backward()
    msg = raises(case)
    assert "modified by an inplace operation" in msg and "is at version 1; expected version 0" in msg


def test_modified_saved_input_raises_version_error():
    def case(m):
        a = leaf(m) * 1
        b = a * a
        a.add_(1)
        b.sum().backward()
    assert "modified by an inplace operation" in raises(case)


def test_modified_through_view_raises_version_error():
    def case(m):
        x = leaf(m) * 1
        y = x.tanh()
        y[0].zero_()
        y.sum().backward()
    raises(case)


def test_modifying_an_unsaved_input_is_fine():
    def case(m):
        x = leaf(m)
        a = x * 1
        b = a + 1
        a.add_(1)
        b.sum().backward()
        return b, x.grad
    same(case)


def test_setitem_add_on_view_of_non_leaf():
    def case(m):
        x = leaf(m)
        y = x * 1
        y[:, 0] += 2
        (y * y).sum().backward()
        return y, x.grad, y.grad_fn.name().split(":")[-1], y._version
    same(case)


def test_mul_on_row_view_of_non_leaf():
    def case(m):
        x = leaf(m)
        y = x * 1
        y[0].mul_(3)
        (y * y).sum().backward()
        return y, x.grad, y._version
    same(case)


def test_copy_into_slice_of_clone():
    def case(m):
        x = leaf(m)
        w = m.tensor([[7.0, 8.0, 9.0]], requires_grad=True)
        z = x.clone()
        z[1:].copy_(w)
        (z * z).sum().backward()
        return z, x.grad, w.grad
    same(case)


def test_setitem_tensor_value_with_grad():
    def case(m):
        x = leaf(m)
        w = m.tensor([0.5, -0.5, 2.0], requires_grad=True)
        y = x * 2
        y[1] = w * w
        (y * y.exp()).sum().backward()
        return x.grad, w.grad
    same(case, rtol=1e-5)


def test_in_place_rebases_history():
    def case(m):
        x = leaf(m)
        b = m.tensor([2.0, 3.0, 4.0], requires_grad=True)
        a = x * 1
        a.mul_(b)
        name = a.grad_fn.name()
        (a * a).sum().backward()
        return a, x.grad, b.grad, name, a._version, a.is_leaf
    same(case)


def test_chain_of_in_place_ops():
    def case(m):
        x = leaf(m)
        y = x * 1
        y.mul_(x)   # saves a snapshot of y and x
        y.add_(x)
        y.neg_()
        z = x * 1
        z.exp_()    # saves its result: nothing modifies it afterwards
        (y * z).sum().backward()
        return y, z, x.grad
    same(case, rtol=1e-5)


def test_in_place_that_saves_its_input_then_later_modified():
    def case(m):
        x = leaf(m) * 1
        y = x * 1
        y.exp_()   # saves its result
        y.mul_(2)  # modifies it
        y.sum().backward()
    raises(case)


def test_in_place_on_view_updates_base_grad_fn():
    def case(m):
        x = leaf(m)
        y = x * 2
        v = y[0]
        v.add_(1)
        y.sum().backward()
        return x.grad, y.grad_fn.name().split(":")[-1], v._version, y._version
    same(case)


def test_version_counter_sequence():
    def case(m):
        x = m.zeros(3)
        v = [x._version]
        x.add_(1)
        v.append(x._version)
        x[0] = 5
        v.append(x._version)
        y = x[1:]
        y.mul_(2)
        v += [x._version, y._version]
        x.zero_()
        v.append(x._version)
        d = x.detach()
        d.add_(1)
        v += [x._version, d._version]
        z = x + 1
        v.append(z._version)
        m.add(x, 1, out=z)
        v.append(z._version)
        x += 1
        v.append(x._version)
        x.copy_(m.ones(3))
        x.fill_(2)
        v.append(x._version)
        return v
    same(case)
